import type { ToolAdapter } from '../tool.js';
import { dnsOptionsSchema, type DnsOptions } from './options.js';
import { parseDns } from './parse.js';
import { invalidServer } from './resolver.js';
import { runDns } from './run.js';

/**
 * Built-in DNS lookups through the machine's resolver or DNS_SERVERS: address, mail, name
 * server, policy and service records of a domain, PTR names of an address, and the mail
 * records of an address's domain. The subdomain probe is opt-in.
 */
export const dnsTool: ToolAdapter<DnsOptions> = {
  name: 'dns',
  description:
    'DNS records of a domain (A, AAAA, CNAME, MX, NS, TXT, SOA, CAA, SRV, SPF, DMARC), ' +
    'reverse names of an IP, mail records of an e-mail domain; optional subdomain probe',
  transport: 'NATIVE',
  targetKinds: ['DOMAIN', 'IP', 'EMAIL'],
  options: dnsOptionsSchema,

  // Needs no service of its own: only a DNS_SERVERS entry that cannot work makes it unusable.
  async checkAvailability({ config }) {
    const problems = config.DNS_SERVERS.map(invalidServer).filter(Boolean);
    if (problems.length > 0) return { available: false, reason: `DNS_SERVERS: ${problems[0]}` };
    return { available: true };
  },

  run: runDns,
  parse: parseDns,
};

export { parseDns } from './parse.js';
