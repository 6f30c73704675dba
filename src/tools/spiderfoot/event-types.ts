import type { FindingKind } from '../../findings/finding.js';

/** Event types that are findings of a kind; every other type is OTHER. */
export const EVENT_KINDS: Record<string, FindingKind> = {
  INTERNET_NAME: 'HOST',
  INTERNET_NAME_UNRESOLVED: 'HOST',
  DOMAIN_NAME: 'HOST',
  CO_HOSTED_SITE: 'HOST',
  SIMILARDOMAIN: 'HOST',
  AFFILIATE_INTERNET_NAME: 'HOST',
  AFFILIATE_DOMAIN_NAME: 'HOST',
  IP_ADDRESS: 'IP',
  IPV6_ADDRESS: 'IP',
  AFFILIATE_IPADDR: 'IP',
  AFFILIATE_IPV6_ADDRESS: 'IP',
  EMAILADDR: 'EMAIL',
  AFFILIATE_EMAILADDR: 'EMAIL',
  EMAILADDR_GENERIC: 'EMAIL',
  LINKED_URL_INTERNAL: 'URL',
  LINKED_URL_EXTERNAL: 'URL',
  SOCIAL_MEDIA: 'ACCOUNT',
  ACCOUNT_EXTERNAL_OWNED: 'ACCOUNT',
};

/**
 * The names SpiderFoot's command line prints instead of type codes (its `eventDetails`
 * table), for the types that are findings or are dropped.
 */
const READABLE_NAMES: Record<string, string> = {
  'Internet Name': 'INTERNET_NAME',
  'Internet Name - Unresolved': 'INTERNET_NAME_UNRESOLVED',
  'Domain Name': 'DOMAIN_NAME',
  'Co-Hosted Site': 'CO_HOSTED_SITE',
  'Similar Domain': 'SIMILARDOMAIN',
  'Affiliate - Internet Name': 'AFFILIATE_INTERNET_NAME',
  'Affiliate - Domain Name': 'AFFILIATE_DOMAIN_NAME',
  'IP Address': 'IP_ADDRESS',
  'IPv6 Address': 'IPV6_ADDRESS',
  'Affiliate - IP Address': 'AFFILIATE_IPADDR',
  'Affiliate - IPv6 Address': 'AFFILIATE_IPV6_ADDRESS',
  'Email Address': 'EMAILADDR',
  'Affiliate - Email Address': 'AFFILIATE_EMAILADDR',
  'Email Address - Generic': 'EMAILADDR_GENERIC',
  'Linked URL - Internal': 'LINKED_URL_INTERNAL',
  'Linked URL - External': 'LINKED_URL_EXTERNAL',
  'Social Media Presence': 'SOCIAL_MEDIA',
  'Account on External Site': 'ACCOUNT_EXTERNAL_OWNED',
  'Internal SpiderFoot Root event': 'ROOT',
  'Affiliate - Domain Whois': 'AFFILIATE_DOMAIN_WHOIS',
  'Affiliate - Web Content': 'AFFILIATE_WEB_CONTENT',
  'Base64-encoded Data': 'BASE64_DATA',
  'Co-Hosted Site - Domain Whois': 'CO_HOSTED_SITE_DOMAIN_WHOIS',
  'Darknet Mention Web Content': 'DARKNET_MENTION_CONTENT',
  'Domain Whois': 'DOMAIN_WHOIS',
  'Leak Site Content': 'LEAKSITE_CONTENT',
  'Netblock Whois': 'NETBLOCK_WHOIS',
  'Raw DNS Records': 'RAW_DNS_RECORDS',
  'Raw File Meta Data': 'RAW_FILE_META_DATA',
  'Raw Data from RIRs/APIs': 'RAW_RIR_DATA',
  'Search Engine Web Content': 'SEARCH_ENGINE_WEB_CONTENT',
  'Similar Domain - Whois': 'SIMILARDOMAIN_WHOIS',
  'SSL Certificate - Raw Data': 'SSL_CERTIFICATE_RAW',
  'Web Content': 'TARGET_WEB_CONTENT',
  'HTTP Headers': 'WEBSERVER_HTTPHEADERS',
  'Error Message': 'ERROR_MESSAGE',
  'HTTP Status Code': 'HTTP_CODE',
  'Web Content Type': 'TARGET_WEB_CONTENT_TYPE',
  Cookies: 'TARGET_WEB_COOKIE',
  'Non-Standard HTTP Header': 'WEBSERVER_STRANGEHEADER',
};
const CODE_BY_NAME = new Map(
  Object.entries(READABLE_NAMES).map(([name, code]) => [name.toLowerCase(), code]),
);

/**
 * Types that become no finding at all: those SpiderFoot itself flags as raw data (whole whois
 * texts, web pages, API answers), evidence behind other events, and the details of single page
 * fetches (status codes, content types, cookies), which say nothing about the target.
 */
export const NO_FINDING_TYPES = new Set([
  'ERROR_MESSAGE',
  'HTTP_CODE',
  'TARGET_WEB_CONTENT_TYPE',
  'TARGET_WEB_COOKIE',
  'WEBSERVER_STRANGEHEADER',
  'AFFILIATE_DOMAIN_WHOIS',
  'AFFILIATE_WEB_CONTENT',
  'BASE64_DATA',
  'CO_HOSTED_SITE_DOMAIN_WHOIS',
  'DARKNET_MENTION_CONTENT',
  'DOMAIN_WHOIS',
  'LEAKSITE_CONTENT',
  'NETBLOCK_WHOIS',
  'RAW_DNS_RECORDS',
  'RAW_FILE_META_DATA',
  'RAW_RIR_DATA',
  'SEARCH_ENGINE_WEB_CONTENT',
  'SIMILARDOMAIN_WHOIS',
  'SSL_CERTIFICATE_RAW',
  'TARGET_WEB_CONTENT',
  'WEBSERVER_HTTPHEADERS',
]);

/** The type code for a code or a readable name; unknown readable names are kept as given. */
export function typeCode(type: string): string {
  const text = type.trim();
  return CODE_BY_NAME.get(text.toLowerCase()) ?? text;
}
