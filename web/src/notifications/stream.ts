/**
 * The live notification stream (GET /api/v1/notifications/stream, Server-Sent Events). The
 * browser's EventSource cannot send an Authorization header, so the stream is read with fetch:
 * the same bearer token as every other call, refreshed before each (re)connection, and a
 * reconnection with backoff when the connection drops.
 */
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { session } from '@/auth/session';

export interface StreamedNotification {
  id: string;
  type: string;
  title: string;
  body: string;
  link: string;
  createdAt: string;
}

class RetriableStreamError extends Error {}

export function openNotificationStream(onNotification: (notification: StreamedNotification) => void, onOpen?: () => void): () => void {
  const controller = new AbortController();
  let attempt = 0;
  void fetchEventSource('/api/v1/notifications/stream', {
    signal: controller.signal,
    // Keep the stream while the tab is hidden: notifications still arrive in the badge.
    openWhenHidden: true,
    fetch: async (input, init) => {
      const token = await session.accessToken();
      const headers = new Headers(init?.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    },
    async onopen(res) {
      if (res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) {
        attempt = 0;
        onOpen?.();
        return;
      }
      // An expired token: refresh, then let the library reconnect.
      if (res.status === 401 && (await session.refresh())) throw new RetriableStreamError('token refreshed');
      if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new Error(`notification stream refused (${res.status})`);
      throw new RetriableStreamError(`notification stream answered ${res.status}`);
    },
    onmessage(message) {
      if (message.event !== 'notification' || !message.data) return;
      try {
        onNotification(JSON.parse(message.data) as StreamedNotification);
      } catch {
        // A malformed message is skipped; the list page still shows the stored notification.
      }
    },
    onerror(error) {
      if (error instanceof RetriableStreamError || !(error instanceof Error) || error.name === 'TypeError') {
        attempt += 1;
        return Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
      }
      // Refused for good (signed out, forbidden): stop.
      throw error;
    },
  }).catch(() => undefined);
  return () => controller.abort();
}

/** A notification's `link` is an API path; the console's pages mirror those paths. */
export function consolePathOf(link: string): string {
  return link.startsWith('/api/v1/') ? link.slice('/api/v1'.length) : link;
}
