/**
 * Secrets reach URLs as user info (`https://user:pass@host`) and as query fields (`?key=…`).
 * Everything the HTTP layer puts in a message goes through these helpers.
 */

/** `origin + path` of a URL: drops user info, query and fragment. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

const URL_IN_TEXT =
  /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#@]*@)?([^\s/?#]*)([^\s?#]*)(?:[?#][^\s]*)?/gi;

/** Rewrites every URL inside free text (an error from a library, say) to origin + path. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, '$1$2$3');
}

/** A copy of the URL without user info, so credentials in a configured URL are never sent. */
export function withoutUserInfo(url: URL): URL {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy;
}
