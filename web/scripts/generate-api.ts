/** Rewrites src/api/schema.d.ts from a running gateway (FOODXCHANGE_GATEWAY_URL, default :8080). */
import { writeFileSync } from 'node:fs';
import { SCHEMA_FILE, fetchDocument, typesFor } from './api-types.js';

const gatewayUrl = process.env.FOODXCHANGE_GATEWAY_URL ?? 'http://127.0.0.1:8080';
const types = await typesFor(await fetchDocument(gatewayUrl));
writeFileSync(SCHEMA_FILE, types);
console.log(`wrote ${SCHEMA_FILE.pathname} from ${gatewayUrl}/openapi.json (${types.length} characters)`);
