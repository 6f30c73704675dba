import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { configSchema, loadConfig } from '../../src/config/config.js';

const root = resolve(import.meta.dirname, '../..');
const composeText = readFileSync(resolve(root, 'docker-compose.prod.yml'), 'utf8');
const envExample = readFileSync(resolve(root, '.env.example'), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; target: string };
  command?: string[];
  restart?: string;
  environment?: Record<string, string | number | boolean>;
  healthcheck?: { test?: string[]; disable?: boolean };
  security_opt?: string[];
  cap_drop?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  logging?: { driver: string; options: Record<string, string> };
  deploy?: {
    replicas?: number | string;
    resources?: { limits?: { cpus?: string; memory?: string } };
  };
  networks?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean }>;
  volumes: Record<string, unknown>;
}

const compose = parse(composeText, { merge: true }) as Compose;
const services = compose.services;
const oneShot = (s: Service) => s.restart === 'no';

/** Values as compose would give them, with every required variable set to a placeholder. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_m, _name, op, arg) =>
    op === '-' ? (arg as string) : 'placeholder-of-sixteen+',
  );
}

/** `docker compose` works here only when the compose plugin is installed. */
const composeClient = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
const haveCompose = composeClient.status === 0;
if (!haveCompose) console.warn('docker compose is not available: checking the YAML structure only');

describe('docker-compose.prod.yml', () => {
  it('runs the API, workers, PostgreSQL, Redis, CouchDB and nginx', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'couchdb', 'migrate', 'nginx', 'postgres', 'redis', 'worker'].sort(),
    );
    expect(Number(interpolate(String(services.api.deploy?.replicas)))).toBeGreaterThanOrEqual(2);
    expect(Number(interpolate(String(services.worker.deploy?.replicas)))).toBeGreaterThanOrEqual(1);
    expect(services.api.command).toEqual(['node', 'bin/loom.mjs', 'serve']);
    expect(services.api.environment?.WORKERS).toBe('0');
    expect(services.worker.command).toEqual(['node', 'bin/loom.mjs', 'worker']);
    expect(services.migrate.command).toEqual(['node', 'bin/loom.mjs', 'migrate']);
    for (const name of ['api', 'worker']) {
      expect(services[name].depends_on?.migrate).toEqual({
        condition: 'service_completed_successfully',
      });
    }
    expect(services.nginx.build?.target).toBe('nginx');
    expect(services.api.build?.target).toBe('app');
  });

  it('gives every long-running service a health check, limits, log rotation and no new privileges', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.logging?.driver, name).toBe('json-file');
      expect(service.logging?.options['max-size'], name).toMatch(/^\d+m$/);
      expect(Number(service.logging?.options['max-file']), name).toBeGreaterThan(1);
      expect(service.deploy?.resources?.limits?.cpus, name).toMatch(/^\d+(\.\d+)?$/);
      expect(service.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[mg]$/);
      if (oneShot(service)) continue;
      expect(service.healthcheck?.test?.length, name).toBeGreaterThan(1);
      expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('keeps root file systems read-only where the image allows, with hardened tmpfs', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'couchdb') expect(service.read_only, name).toBe(true);
      for (const mount of service.tmpfs ?? []) {
        const options = mount.split(':')[1]?.split(',') ?? [];
        expect(options, `${name} ${mount}`).toEqual(
          expect.arrayContaining(['noexec', 'nosuid', 'nodev']),
        );
      }
      expect(service.tmpfs?.length, name).toBeGreaterThan(0);
    }
  });

  it('publishes only nginx, keeps the data stores on an internal network, and stores data in volumes', () => {
    expect(compose.networks.backend.internal).toBe(true);
    for (const [name, service] of Object.entries(services)) {
      expect(service.networks, name).toContain('backend');
      if (name !== 'nginx') expect(service.ports, name).toBeUndefined();
    }
    expect(services.nginx.ports).toEqual(['${HTTP_PORT:-80}:8080', '${HTTPS_PORT:-443}:8443']);
    for (const store of ['postgres', 'redis', 'couchdb', 'migrate']) {
      expect(services[store].networks, store).toEqual(['backend']);
    }
    expect(services.postgres.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(services.redis.volumes).toEqual(['redisdata:/data']);
    expect(services.couchdb.volumes).toEqual(['couchdata:/opt/couchdb/data']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['couchdata', 'pgdata', 'redisdata']);
  });

  it('mounts the Docker socket into the worker only, and SSH keys and certificates read-only', () => {
    for (const [name, service] of Object.entries(services)) {
      const socket = (service.volumes ?? []).filter((v) => v.includes('docker.sock'));
      expect(socket, name).toEqual(
        name === 'worker' ? ['/var/run/docker.sock:/var/run/docker.sock'] : [],
      );
    }
    const workerMounts = services.worker.volumes ?? [];
    const keys = workerMounts.filter((v) => /reconng|known_hosts/.test(v));
    expect(keys).toHaveLength(2);
    for (const mount of keys) expect(mount.endsWith(':ro'), mount).toBe(true);
    for (const mount of services.nginx.volumes ?? [])
      expect(mount.endsWith(':ro'), mount).toBe(true);
  });

  it('passes Loom only settings it knows, which its configuration accepts', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of ['api', 'worker', 'migrate']) {
      const env = Object.fromEntries(
        Object.entries(services[name].environment ?? {}).map(([k, v]) => [
          k,
          interpolate(String(v)),
        ]),
      );
      expect(
        Object.keys(env).filter((k) => !known.has(k)),
        name,
      ).toEqual([]);
      const config = loadConfig(env);
      expect(config.ENVIRONMENT).toBe('production');
      expect(config.DATABASE_URL).toBe(
        'postgres://loom:placeholder-of-sixteen+@postgres:5432/loom',
      );
      expect(config.REDIS_URL).toBe('redis://:placeholder-of-sixteen+@redis:6379');
    }
  });

  it('names only variables that .env.example documents', () => {
    const documented = new Set([...envExample.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const used = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    expect([...used].filter((v) => !documented.has(v))).toEqual([]);
  });

  it.skipIf(!haveCompose)('is valid for docker compose', () => {
    const result = spawnSync(
      'docker',
      ['compose', '-f', 'docker-compose.prod.yml', 'config', '--quiet'],
      {
        cwd: root,
        encoding: 'utf8',
        env: {
          ...process.env,
          POSTGRES_PASSWORD: 'placeholder',
          REDIS_PASSWORD: 'placeholder',
          COUCHDB_PASSWORD: 'placeholder',
          OSINT_API_KEY: 'placeholder',
        },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
  const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('builds in stages and ends with the app, as a user other than root', () => {
    expect(stages).toEqual(['deps', 'console', 'prod-deps', 'nginx', 'app']);
    expect(finalStage).toMatch(/^USER node$/m);
    expect(finalStage).toMatch(/^HEALTHCHECK /m);
    expect(finalStage).toContain('CMD ["node", "bin/loom.mjs", "serve"]');
    expect(finalStage).toContain('COPY --from=prod-deps /app/node_modules ./node_modules');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(resolve(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      m[1].split(' '),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(resolve(root, source)), source).toBe(true);
      const top = source.split('/')[0];
      expect(ignored, source).not.toContain(top);
    }
  });
});
