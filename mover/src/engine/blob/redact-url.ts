// Shows a repository location without anything that may be a credential. Credentials never belong in a
// URL, but users put them there (`s3://KEY:SECRET@bucket/…`, `?endpoint=http://KEY:SECRET@host`), and an
// AWS secret key often contains "/", which makes such a URL unparseable — so this works on the raw text:
// everything up to the LAST "@" after the scheme is dropped (over-redacting a prefix that contains "@" is
// the safe mistake), then the query and fragment.
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)/;

export function redactUrl(text: string): string {
  const scheme = SCHEME.exec(text)?.[1] ?? '';
  let rest = text.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = `***@${rest.slice(at + 1)}`;
  const end = rest.search(/[?#]/);
  if (end >= 0) rest = rest.slice(0, end);
  return scheme + rest;
}

/** True when the text carries something that looks like `user[:secret]@` after its scheme. */
export function hasUserInfo(text: string): boolean {
  const rest = text.slice(SCHEME.exec(text)?.[1]?.length ?? 0);
  const end = rest.search(/[?#]/);
  return (end >= 0 ? rest.slice(0, end) : rest).includes('@');
}
