/**
 * The nine Dockerfiles as the template renders them, and where they go.
 */
import { listApps, packageManager, repoRoot, type AppInfo } from './platform.js';
import { renderDockerfile } from './template.js';

export interface RenderedDockerfile {
  app: AppInfo;
  /** Relative to the repository root: `services/order/Dockerfile`. */
  path: string;
  content: string;
}

/** A package that does not exist yet is labelled with the workspace's starting version. */
export const FALLBACK_VERSION = '0.1.0';

export function renderAll(root = repoRoot): RenderedDockerfile[] {
  const pm = packageManager(root);
  return listApps(root).map((app) => ({
    app,
    path: `${app.dir}/Dockerfile`,
    content: renderDockerfile({ app, version: app.pkg?.version ?? FALLBACK_VERSION, packageManager: pm }),
  }));
}
