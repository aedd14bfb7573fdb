// The fields of a /proc/PID/stat (or /proc/PID/task/TID/stat) line from the state on: the command name before
// them is in parentheses and may itself hold spaces and parentheses, so the fields start after the last ')'.
// Index 0 is the state (man proc: field 3), 11 utime and 12 stime (fields 14 and 15), in clock ticks.
export function procStatFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trimEnd().split(' ');
}
