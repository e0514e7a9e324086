/** Every tenant, branch and user id that can appear in a channel name. ASCII only, so look-alikes cannot pass. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** What publishers and agents name things by: jobIds, printer and agent ids. Also `.` and `:`, up to 128. */
export const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const MAX_KEY_LENGTH = 128;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
