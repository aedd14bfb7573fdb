// Keeps credentials out of everything the CLI prints or writes: stdout, stderr, log records, --json and
// the result file. Messages are built without secrets in the first place (URLs are shown redacted,
// credentials are never part of an error); this is the second line: every output channel passes through
// scrub(), which blanks each known secret (also in its URL-encoded and JSON-escaped forms). Secrets are
// learned from the environment, from credentials embedded in --repo or CAIRN_REPOSITORY (a mistake, but a
// common one), and from the password and credential files as the command reads them.

/** Shorter values are too likely to be ordinary words to blank out everywhere. */
const MIN_SECRET_LENGTH = 6;
const SECRET_ENV = ['CAIRN_PASSWORD', 'CAIRN_NEW_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN'];
export const REDACTED = '***';

export class SecretScrubber {
  private secrets: string[] = [];

  /** Registers a secret (and its encoded forms); ignores short or empty values. */
  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
    const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
    for (const f of forms) if (!this.secrets.includes(f)) this.secrets.push(f);
    this.secrets.sort((a, b) => b.length - a.length); // longest first, so a secret containing another goes whole
  }

  /** Registers the `user:secret` part of a URL-like text, if it has one. */
  addUserInfo(text: string | undefined): void {
    if (text === undefined) return;
    for (const candidate of [text, ...this.queryValues(text)]) {
      const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(candidate)?.[0].length ?? 0;
      const rest = candidate.slice(scheme);
      const at = rest.lastIndexOf('@');
      if (at <= 0) continue;
      const info = rest.slice(0, at);
      this.add(info);
      for (const part of info.split(':')) this.add(part);
      try {
        for (const part of decodeURIComponent(info).split(':')) this.add(part);
      } catch {
        // not %-encoded text: the raw parts are registered already
      }
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  private queryValues(text: string): string[] {
    const q = text.indexOf('?');
    if (q < 0) return [];
    return text.slice(q + 1).split('&').map((kv) => {
      const v = kv.slice(kv.indexOf('=') + 1);
      try {
        return decodeURIComponent(v);
      } catch {
        return v;
      }
    });
  }
}

/** A scrubber knowing the secrets of the environment and of the command line. */
export function scrubberFor(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): SecretScrubber {
  const s = new SecretScrubber();
  for (const k of SECRET_ENV) s.add(env[k]);
  s.addUserInfo(env['CAIRN_REPOSITORY']);
  argv.forEach((a, i) => {
    if (a === '--repo') s.addUserInfo(argv[i + 1]);
    else if (a.startsWith('--repo=')) s.addUserInfo(a.slice('--repo='.length));
  });
  return s;
}
