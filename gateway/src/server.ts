import { runService } from '@foodxchange/service-kit';
import app, { service } from './app.js';

await runService(service, app);
