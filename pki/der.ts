/**
 * DER written directly: tag, length, contents (X.690 §8.1, §10.1 definite minimal lengths), for the certificates and
 * requests we sign and the names and extensions inside them (pki/asn1.ts), which are not built as objects and
 * serialized by @peculiar/asn1-x509 (twice for what is signed: once to sign, once inside the result); the
 * SubjectPublicKeyInfo is copied instead of parsed and written back. tests/pki/der.spec.ts holds the bytes equal to
 * @peculiar's serializer's.
 */
import { AsnConvert, AsnObjectIdentifierConverter } from "@peculiar/asn1-schema";

export type Der = Uint8Array;

function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

/** One element: `tag`, then the minimal definite length, then `contents` in order. */
export function tlv(tag: number, contents: readonly Der[]): Buffer {
  let length = 0;
  for (const part of contents) length += part.length;
  return Buffer.concat([Buffer.from([tag, ...lengthOctets(length)]), ...contents]);
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  sequence: 0x30,
  set: 0x31,
  /** [0] constructed: EXPLICIT [0], or IMPLICIT [0] over a SET OF / SEQUENCE. */
  context0: 0xa0,
  context3: 0xa3,
} as const;

/** A BIT STRING of whole bytes (no unused bits), as signatures and key bits are. */
export function bitString(bytes: Der): Buffer {
  return tlv(TAG.bitString, [new Uint8Array([0]), bytes]);
}

const encoded = new WeakMap<object, Der>();

/**
 * `value`'s DER by @peculiar/asn1-schema, kept per object: the shared extensions, a CA's subject and a signer's
 * algorithm are the same objects for thousands of certificates. Such objects are never changed after they are built.
 */
export function derOf(value: object): Der {
  let der = encoded.get(value);
  if (!der) {
    der = new Uint8Array(AsnConvert.serialize(value));
    encoded.set(value, der);
  }
  return der;
}

/**
 * Records `der` as `value`'s DER, for an object whose encoding was written directly (pki/asn1.ts): derOf then
 * returns it instead of serializing the object. The caller guarantees the bytes are @peculiar's for that object;
 * tests/pki/der.spec.ts serializes such objects afresh and compares.
 */
export function withDer<T extends object>(value: T, der: Der): T {
  encoded.set(value, der);
  return value;
}

const oids = new Map<string, Der>();

/** An OBJECT IDENTIFIER's DER, by @peculiar's converter, once per OID. */
export function oidDer(oid: string): Der {
  let der = oids.get(oid);
  if (!der) {
    der = new Uint8Array(AsnConvert.serialize(AsnObjectIdentifierConverter.toASN(oid)));
    oids.set(oid, der);
  }
  return der;
}
