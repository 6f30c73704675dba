import WebSocket from 'ws';

import { createLoomClient, type LoomClient } from '../../../clients/typescript/src/client.js';
import type { Connection } from './options.js';

/** The typed client over fetch and graphql-ws (Node 20 has no global WebSocket). */
export function connect(connection: Connection): LoomClient {
  return createLoomClient({
    url: connection.url,
    apiKey: connection.apiKey,
    webSocketImpl: WebSocket,
  });
}
