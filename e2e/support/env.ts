// Runs a callback with some process environment variables set, restoring them afterwards. For tests of
// code that reads the environment indirectly (the AWS SDK's default credential chain); engine code itself
// never reads process.env, so tests under mover/src/engine use this helper instead of touching it.
export async function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, fn: () => Promise<T>): Promise<T> {
  const env = process.env;
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, env[k]);
    if (v === undefined) Reflect.deleteProperty(env, k);
    else env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) Reflect.deleteProperty(env, k);
      else env[k] = v;
    }
  }
}
