/**
 * Valid Chinese resident ID numbers (GB 11643-1999) and mobiles for tests. The check
 * character is computed here independently of src/core/identity.ts (ISO 7064 MOD 11-2).
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/** The 18-character ID number for a 17-digit prefix: the prefix plus its check character. */
export function idNumberFromPrefix(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error(`ID prefix must be 17 digits: ${first17}`);
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += WEIGHTS[i]! * Number(first17[i]);
  return first17 + CHECK_CHARS[sum % 11]!;
}

/** A valid ID number: region 110105, born 1980-01-01 plus `n` days' worth of sequence, sequence n % 1000. */
export function idNumber(n: number): string {
  const year = 1950 + Math.floor(n / 1000) % 50;
  return idNumberFromPrefix(`110105${year}0101${String(n % 1000).padStart(3, '0')}`);
}

let idCounter = 0;
let mobileCounter = 0;

/** A fresh valid ID number per call within one test file (each file has its own database). */
export function freshIdNumber(): string {
  idCounter += 1;
  return idNumber(idCounter);
}

/** A fresh mainland mobile per call, 13800138000 onwards. */
export function freshMobile(): string {
  mobileCounter += 1;
  return String(13_800_138_000 + mobileCounter - 1);
}
