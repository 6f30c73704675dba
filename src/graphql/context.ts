import type { Logger } from 'pino';

import type { AppServices } from '../app/services.js';

export type Role = 'viewer' | 'analyst' | 'admin';

export interface Principal {
  /** Name of the API key used, `bootstrap` for OSINT_API_KEY, `anonymous` in open development. */
  keyName: string;
  role: Role;
}

export interface GraphQLContext {
  services: AppServices;
  principal: Principal;
  requestId: string;
  clientAddress: string;
  log: Logger;
  /** Aborted when the client goes away (HTTP request or WebSocket subscription). */
  signal?: AbortSignal;
}
