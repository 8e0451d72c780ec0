export * from './platform.js';
export * from './template.js';
export * from './dockerfile.js';
export * from './compose.js';
export * from './render.js';
export * from './dockerignore.js';
