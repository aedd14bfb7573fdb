// The flags a command declares (util.parseArgs descriptors with help text) and what parsing hands back.
import type { ParseArgsOptionDescriptor } from 'node:util';

export type OptionSpec = Readonly<Record<string, ParseArgsOptionDescriptor & { readonly description: string; readonly valueName?: string }>>;

export type ParsedValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
