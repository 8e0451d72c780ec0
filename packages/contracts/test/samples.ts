/**
 * Realistic sample data for every topic. The canonical copy lives in `src/samples.ts` so other
 * services can import it (`import { sampleEventData } from '@foodxchange/contracts'`).
 */
export { sampleEventData, sampleEvent, SAMPLE_IDS } from '../src/samples.js';
