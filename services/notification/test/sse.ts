import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { waitFor } from '@foodxchange/service-kit/testing';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
  receivedAt: number;
}

/** A test's EventSource: reads a text/event-stream over a real HTTP connection and keeps every message and comment. */
export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  messages: SseMessage[];
  comments: string[];
  /** The ids of the notifications received, in order. */
  ids(): string[];
  waitForIds(count: number): Promise<string[]>;
  close(): void;
}

export function openStream(baseUrl: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(`${baseUrl}/api/v1/notifications/stream`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { data: '', receivedAt: Date.now() };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) message.id = line.slice(4);
            else if (line.startsWith('event: ')) message.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              message.data += line.slice(6);
              hasData = true;
            }
          }
          if (hasData) messages.push(message);
        }
      });
      res.on('error', () => undefined);
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages,
        comments,
        ids: () => messages.filter((m) => m.event === 'notification').map((m) => m.id!),
        waitForIds: (count) => waitFor(() => (client.ids().length >= count ? client.ids() : undefined), { what: `${count} notification(s) on the stream`, timeoutMs: 15_000 }),
        close: () => {
          req?.destroy();
          res.destroy();
        },
      };
      resolve(client);
    });
    req.on('error', reject);
    req.end();
  });
}
