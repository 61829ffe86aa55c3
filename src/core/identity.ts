import { DomainError } from './domain-error.js';

/** Resident identity card number (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character. */
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';

export function parseIdNumber(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (!/^\d{17}[\dX]$/.test(text)) throw new DomainError('INVALID_ID_NUMBER', `${field} must be an 18-character resident ID number`, field);
  const sum = ID_WEIGHTS.reduce((acc, weight, i) => acc + weight * Number(text[i]), 0);
  if (ID_CHECK_CHARS[sum % 11] !== text[17]) throw new DomainError('INVALID_ID_NUMBER', `${field} has a wrong check character`, field);
  const [y, m, d] = [Number(text.slice(6, 10)), Number(text.slice(10, 12)), Number(text.slice(12, 14))];
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d) {
    throw new DomainError('INVALID_ID_NUMBER', `${field} holds an impossible birth date`, field);
  }
  return text;
}

/** Mainland mobile number, 11 digits starting with 1; a +86 / 86 prefix is accepted and dropped. */
export function parseMobile(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '') : '';
  if (!/^1[3-9]\d{9}$/.test(text)) throw new DomainError('INVALID_MOBILE', `${field} must be an 11-digit mainland mobile number`, field);
  return text;
}

export function parsePersonName(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length < 2 || text.length > 50 || /[\u0000-\u001f<>]/.test(text)) {
    throw new DomainError('INVALID_NAME', `${field} must be 2 to 50 characters of a person's name`, field);
  }
  return text;
}

/** For logs and ops screens: 138****5678. */
export function maskMobile(mobile: string): string {
  return mobile.length === 11 ? `${mobile.slice(0, 3)}****${mobile.slice(7)}` : '***';
}

/** For logs and ops screens: 110105********123X. */
export function maskIdNumber(idNumber: string): string {
  return idNumber.length === 18 ? `${idNumber.slice(0, 6)}********${idNumber.slice(14)}` : '***';
}
