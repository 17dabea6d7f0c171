import type { webcrypto } from 'node:crypto';
import { readRegularFile } from '../files';
import { sourceDateEpoch } from '../source-date';

/**
 * What a signing run needs before it opens the certificate, kept apart from the signing code so
 * that letters made without --sign never load the PKCS#12, CMS and PDF-signing libraries.
 */

/** A signer, opened once per process: the private key, and its certificate first in the chain. */
export interface SigningIdentity {
  file: string;
  /** The signer's common name, from the certificate. */
  name: string;
  notBefore: Date;
  notAfter: Date;
  /** The size of the signer's RSA key, in bits. */
  keyBits: number;
  /** sha256 of the signer's certificate, hex: names the identity in a letter's key for --resume. */
  fingerprint: string;
  /** DER certificates: the signer's first, then the rest of the chain in the file. */
  certificates: Uint8Array[];
  key: webcrypto.CryptoKey;
  /** A signing time fixed for the run (ms since 1970, from SOURCE_DATE_EPOCH); else each letter is signed at its time. */
  fixedTime?: number;
}

/** What a signing identity is made from: shipped to worker threads, which open it again. */
export interface SigningSource {
  file: string;
  p12: Uint8Array;
  password: string;
  fixedTime?: number;
}

const P12_MAX_BYTES = 1024 * 1024;
/** The smallest RSA key lettermerge signs with. */
const MIN_KEY_BITS = 2048;

export function readSigningSource(file: string, password: string): SigningSource {
  const p12 = readRegularFile(file, { what: 'the signing certificate (--sign)', kind: 'usage', maxBytes: P12_MAX_BYTES });
  const fixedTime = fixedSigningTime();
  return fixedTime === undefined ? { file, p12, password } : { file, p12, password, fixedTime };
}

/** Problems of an identity on a given day: an error when it is not valid, a warning when it soon will not be. */
export function identityProblems(identity: SigningIdentity, now: Date): { error?: string; warning?: string } {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  if (identity.keyBits < MIN_KEY_BITS) {
    return { error: `the signing certificate of ${identity.name} has an RSA key of ${identity.keyBits} bits: a signature made with fewer than ${MIN_KEY_BITS} is not taken as secure (NIST SP 800-131A has disallowed them since 2013), and readers may flag it. Ask for a certificate with a key of ${MIN_KEY_BITS} bits or more` };
  }
  if (now < identity.notBefore) return { error: `the signing certificate of ${identity.name} is not valid before ${day(identity.notBefore)}` };
  if (now > identity.notAfter) return { error: `the signing certificate of ${identity.name} expired on ${day(identity.notAfter)}` };
  const days = Math.ceil((identity.notAfter.getTime() - now.getTime()) / 86_400_000);
  if (days < 30) return { warning: `the signing certificate of ${identity.name} expires on ${day(identity.notAfter)}, in ${days} day${days === 1 ? '' : 's'}` };
  return {};
}

/** The signing time fixed by SOURCE_DATE_EPOCH (reproducible builds, tests), read where the run starts; undefined: now. */
export function fixedSigningTime(): number | undefined {
  return sourceDateEpoch();
}

/** When a letter is signed: the run's fixed time, or now. */
export function signingTime(identity: SigningIdentity): Date {
  return identity.fixedTime !== undefined ? new Date(identity.fixedTime) : new Date();
}
