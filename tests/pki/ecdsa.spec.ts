/**
 * Deterministic ECDSA (pki/ecdsa.ts): RFC 6979's own test vectors, noble's signature byte for byte, and OpenSSL's
 * verification. A leaf's CSR is signed with it, so a changed byte would replace every leaf certificate.
 */
import { strict as assert } from "node:assert";
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";
import { p256, p384 } from "@noble/curves/nist";
import { certRequestPem } from "../../pki/certRequest";
import {
  canonicalSec1Key,
  isDeterministicEcdsaCurve,
  signDeterministicEcdsa,
  type DeterministicEcdsaCurve,
} from "../../pki/ecdsa";

const NOBLE = { "P-256": p256, "P-384": p384 } as const;

/** The DER signature's r and s, as hex. */
function rs(curve: DeterministicEcdsaCurve, der: Uint8Array): { r: string; s: string } {
  const signature = NOBLE[curve].Signature.fromDER(der);
  const width = curve === "P-256" ? 64 : 96;
  return { r: signature.r.toString(16).padStart(width, "0"), s: signature.s.toString(16).padStart(width, "0") };
}

/** RFC 6979 §A.2.5 (P-256, SHA-256) and §A.2.6 (P-384, SHA-384). */
const VECTORS: readonly {
  curve: DeterministicEcdsaCurve;
  key: string;
  message: string;
  r: string;
  s: string;
}[] = [
  {
    curve: "P-256",
    key: "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
    message: "sample",
    r: "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
    s: "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
  },
  {
    curve: "P-256",
    key: "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
    message: "test",
    r: "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
    s: "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083",
  },
  {
    curve: "P-384",
    key: "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5",
    message: "sample",
    r: "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46",
    s: "99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8",
  },
  {
    curve: "P-384",
    key: "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5",
    message: "test",
    r: "8203b63d3c853e8d77227fb377bcf7b7b772e97892a80f36ab775d509d7a5feb0542a7f0812998da8f1dd3ca3cf023db",
    s: "ddd0760448d42d8a43af45af836fce4de8be06b485e9b61b827c2f13173923e06a739f040649a667bf3b828246baa5a5",
  },
];

/** A random valid private scalar for the curve. */
function randomScalar(curve: DeterministicEcdsaCurve): Uint8Array {
  return NOBLE[curve].utils.randomSecretKey();
}

describe("deterministic ECDSA (pki/ecdsa.ts)", () => {
  for (const v of VECTORS) {
    it(`gives RFC 6979's signature for ${v.curve} and "${v.message}"`, () => {
      const der = signDeterministicEcdsa(v.curve, Buffer.from(v.key, "hex"), Buffer.from(v.message));
      assert.deepEqual(rs(v.curve, der), { r: v.r, s: v.s });
    });
  }

  for (const curve of ["P-256", "P-384"] as const) {
    it(`signs as @noble/curves does, byte for byte, over 200 ${curve} keys and messages`, () => {
      const hash = curve === "P-256" ? "sha256" : "sha384";
      for (let i = 0; i < 200; i++) {
        const key = randomScalar(curve);
        const message = randomBytes(i % 7 === 0 ? 0 : 1 + ((i * 37) % 600));
        const ours = Buffer.from(signDeterministicEcdsa(curve, key, message));
        const digest = createHash(hash).update(message).digest();
        const noble = Buffer.from(NOBLE[curve].sign(digest, key, { prehash: false, lowS: false }).toBytes("der"));
        assert.equal(ours.toString("hex"), noble.toString("hex"), `key ${Buffer.from(key).toString("hex")}`);
      }
    });

    it(`verifies with OpenSSL (node's verify) for ${curve}`, () => {
      const key = randomScalar(curve);
      const point = NOBLE[curve].getPublicKey(key, false);
      const width = curve === "P-256" ? 32 : 48;
      const publicKey = createPublicKey({
        key: {
          kty: "EC",
          crv: curve,
          x: Buffer.from(point.subarray(1, 1 + width)).toString("base64url"),
          y: Buffer.from(point.subarray(1 + width)).toString("base64url"),
        },
        format: "jwk",
      });
      const message = Buffer.from("a leaf's certification request info");
      const signature = signDeterministicEcdsa(curve, key, message);
      const hash = curve === "P-256" ? "sha256" : "sha384";
      assert.equal(verify(hash, message, publicKey, signature), true);
      assert.equal(verify(hash, Buffer.from("another request"), publicKey, signature), false);
    });
  }

  it("refuses a private key outside 1..n-1 and names only the curves it signs with", () => {
    assert.throws(() => signDeterministicEcdsa("P-256", new Uint8Array(32), Buffer.from("x")), /out of range/);
    assert.throws(
      () => signDeterministicEcdsa("P-256", Buffer.from(p256.CURVE.n.toString(16), "hex"), Buffer.from("x")),
      /out of range/,
    );
    assert.equal(isDeterministicEcdsaCurve("P-256"), true);
    assert.equal(isDeterministicEcdsaCurve("P-521"), false);
    assert.equal(isDeterministicEcdsaCurve("toString"), false);
  });

  describe("SEC1 keys read directly (canonicalSec1Key)", () => {
    const OPENSSL_NAMES = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1" } as const;
    const newKey = (curve: keyof typeof OPENSSL_NAMES): KeyObject =>
      generateKeyPairSync("ec", { namedCurve: OPENSSL_NAMES[curve] }).privateKey;
    const sec1 = (key: KeyObject): Buffer => key.export({ type: "sec1", format: "der" });
    const spec = {
      subject: { commonName: "web", organization: "lucid" },
      sans: {
        dnsNames: ["web.service.consul"],
        ipAddresses: ["10.0.0.7"],
        uris: ["spiffe://t.consul/ns/default/dc/east/svc/web"],
      },
    };

    for (const curve of ["P-256", "P-384"] as const) {
      it(`reads OpenSSL's ${curve} keys as node does, and a CSR from one is the CSR node's decoder gives`, () => {
        for (let i = 0; i < 40; i++) {
          const key = newKey(curve);
          const read = canonicalSec1Key(sec1(key));
          assert.ok(read, "an OpenSSL-written SEC1 key takes the direct path");
          assert.equal(read.curve, curve);
          assert.equal(read.privateKey.toString("base64url"), key.export({ format: "jwk" }).d);
          assert.ok(read.spki.equals(createPublicKey(key).export({ type: "spki", format: "der" })));
          // The PKCS #8 form of the same key goes through node's decoder: the request must be the same bytes.
          const viaSec1 = certRequestPem(key.export({ type: "sec1", format: "pem" }) as string, spec);
          const viaNode = certRequestPem(key.export({ type: "pkcs8", format: "pem" }) as string, spec);
          assert.equal(viaSec1, viaNode);
        }
      });
    }

    it("declines what is not that layout, or whose public key is not the scalar's, leaving it to node's decoder", () => {
      const key = sec1(newKey("P-256"));
      const other = sec1(newKey("P-256"));
      const swappedPoint = Buffer.concat([key.subarray(0, key.length - 65), other.subarray(other.length - 65)]);
      assert.equal(canonicalSec1Key(swappedPoint), undefined, "public key of another key");
      const withoutPoint = Buffer.concat([Buffer.from([0x30, 0x31]), key.subarray(2, key.length - 70)]);
      assert.equal(canonicalSec1Key(withoutPoint), undefined, "no public key (RFC 5915 makes it optional)");
      assert.equal(canonicalSec1Key(key.subarray(0, key.length - 1)), undefined, "truncated");
      assert.equal(canonicalSec1Key(Buffer.concat([key, Buffer.from([0])])), undefined, "trailing byte");
      const zeroScalar = Buffer.from(key);
      zeroScalar.fill(0, 7, 39);
      assert.equal(canonicalSec1Key(zeroScalar), undefined, "scalar 0");
      const wrongCurve = Buffer.from(key);
      wrongCurve[50] = wrongCurve[50]! ^ 1; // the named curve OID's last byte
      assert.equal(canonicalSec1Key(wrongCurve), undefined, "another curve OID");
      assert.equal(canonicalSec1Key(sec1(newKey("P-521"))), undefined, "P-521");
    });
  });
});
