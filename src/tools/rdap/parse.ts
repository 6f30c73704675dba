import type { ParsedFinding } from '../../findings/finding.js';
import { FindingCollector } from '../../findings/normalize.js';
import { ParseError } from '../../findings/parse-error.js';
import { isBlank, isRecord, listOf, parseJsonText, stringOf } from '../../findings/text.js';

type Json = Record<string, unknown>;

/**
 * Findings of an RDAP answer (RFC 9083): HOST for the `ldhName` of every nameserver, EMAIL for
 * every `email` in the vCard of every entity, nested ones included. The queried object itself
 * is one OTHER finding carrying its class, status, dates and registrar. An error body
 * (`errorCode`) has no findings.
 */
export function rdapFindingsFromJson(answer: unknown): ParsedFinding[] {
  if (!isRecord(answer)) throw new ParseError('RDAP answer is not a JSON object');
  if (answer.errorCode !== undefined && answer.objectClassName === undefined) return [];

  const collector = new FindingCollector();
  const queried = queriedObject(answer);
  if (queried) collector.add('OTHER', queried.value, queried.data);
  walk(answer, collector, true);
  return collector.list();
}

/** A saved RDAP answer; an empty body (a 404 from some registries) has no findings. */
export function parseRdap(text: string): ParsedFinding[] {
  if (isBlank(text)) return [];
  return rdapFindingsFromJson(parseJsonText(text, 'RDAP answer'));
}

/** Visits every object once; extension members (`fred_nsset`, …) are searched too. */
function walk(node: unknown, collector: FindingCollector, top: boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, collector, false);
    return;
  }
  if (!isRecord(node)) return;

  if (!top && node.objectClassName === 'nameserver') addNameserver(node, collector);
  if (node.vcardArray !== undefined) addEmails(node, collector);
  // Early servers left `objectClassName` out; a member of `nameservers` is one all the same.
  for (const member of listOf(node.nameservers)) {
    if (isRecord(member) && member.objectClassName === undefined) addNameserver(member, collector);
  }
  for (const value of Object.values(node)) walk(value, collector, false);
}

function addNameserver(node: Json, collector: FindingCollector): void {
  const name = stringOf(node.ldhName) ?? stringOf(node.unicodeName);
  if (!name) return;

  const data: Json = { role: 'nameserver' };
  const ips = isRecord(node.ipAddresses) ? node.ipAddresses : {};
  const addresses = [...listOf(ips.v4), ...listOf(ips.v6)].filter((a) => typeof a === 'string');
  if (addresses.length > 0) data.addresses = addresses;
  collector.add('HOST', name, data);
}

function addEmails(entity: Json, collector: FindingCollector): void {
  const properties = vcardProperties(entity.vcardArray);
  const data: Json = {};
  const roles = listOf(entity.roles).filter((r) => typeof r === 'string');
  if (roles.length > 0) data.roles = roles;
  const handle = stringOf(entity.handle);
  if (handle) data.handle = handle;
  const name = properties.find(([prop]) => prop === 'fn')?.[1];
  if (name) data.name = name;

  for (const [prop, value] of properties) {
    if (prop === 'email' && value) collector.add('EMAIL', value, data);
  }
}

/**
 * `[name, value]` of every jCard property, the value when it is text:
 * `["vcard", [[name, params, type, value], …]]`.
 */
function vcardProperties(vcard: unknown): [string, string | undefined][] {
  const body = Array.isArray(vcard) ? listOf(vcard[1]) : [];
  return body
    .filter((prop): prop is unknown[] => Array.isArray(prop) && typeof prop[0] === 'string')
    .map((prop) => [String(prop[0]).toLowerCase(), stringOf(prop[3])]);
}

function queriedObject(answer: Json): { value: string; data: Json } | undefined {
  const objectClass = stringOf(answer.objectClassName);
  const value =
    stringOf(answer.ldhName)?.toLowerCase() ??
    stringOf(answer.handle) ??
    stringOf(answer.name) ??
    (objectClass === 'nameserver' ? undefined : objectClass);
  if (!value) return undefined;

  const data: Json = {};
  if (objectClass) data.objectClassName = objectClass;
  const status = listOf(answer.status).filter((s) => typeof s === 'string');
  if (status.length > 0) data.status = status;
  const events = listOf(answer.events)
    .filter(isRecord)
    .map(eventOf)
    .filter((e) => e !== undefined);
  if (events.length > 0) data.events = events;
  const registrar = registrarOf(answer);
  if (registrar) data.registrar = registrar;
  return { value, data };
}

function eventOf(event: Json): { action: string; date: string } | undefined {
  const action = stringOf(event.eventAction);
  const date = stringOf(event.eventDate);
  return action && date ? { action, date } : undefined;
}

function registrarOf(answer: Json): Json | undefined {
  const entity = listOf(answer.entities)
    .filter(isRecord)
    .find((e) => listOf(e.roles).includes('registrar'));
  if (!entity) return undefined;

  const registrar: Json = {};
  const name = vcardProperties(entity.vcardArray).find(([prop]) => prop === 'fn')?.[1];
  if (name) registrar.name = name;
  const handle = stringOf(entity.handle);
  if (handle) registrar.handle = handle;
  const iana = listOf(entity.publicIds)
    .filter(isRecord)
    .find((id) => /iana/i.test(stringOf(id.type) ?? ''));
  if (iana && stringOf(iana.identifier)) registrar.ianaId = stringOf(iana.identifier);
  return Object.keys(registrar).length > 0 ? registrar : undefined;
}
