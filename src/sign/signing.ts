import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { SignPdf, Signer } from '@signpdf/signpdf';
import { LetterMergeError } from '../errors';
import type { SigningIdentity, SigningSource } from './identity';

export type { SigningIdentity, SigningSource } from './identity';

/**
 * Digital signatures: a PAdES baseline B-B signature (ETSI EN 319 142-1) over the whole PDF,
 * from a PKCS#12 file. The PKCS#12 file is opened with node-forge; the CMS is built with pkijs
 * (its SignedData) and signed by Node's own RSA; @signpdf finds the placeholder, computes the byte
 * range and puts the CMS in place. Nothing here goes to the network: a timestamp (B-T) would need
 * a timestamp authority, and long-term validation data (B-LT) its revocation sources.
 */

function signError(file: string, message: string, hint?: string): LetterMergeError {
  return new LetterMergeError('SIGNING', message, { kind: 'input', location: { file }, hint });
}

function commonName(cert: forge.pki.Certificate): string {
  const cn = cert.subject.getField('CN') as { value?: string } | null;
  return typeof cn?.value === 'string' && cn.value ? forge.util.decodeUtf8(cn.value) : cert.subject.attributes.map((a) => a.value).join(', ');
}

/** Opens a PKCS#12 file: the private key, and the certificate that matches it. Throws a message saying what is wrong. */
export async function openSigningIdentity(source: SigningSource): Promise<SigningIdentity> {
  const { file } = source;
  const head = Buffer.from(source.p12.subarray(0, 64)).toString('latin1');
  if (source.p12.length === 0) throw signError(file, 'the signing certificate file is empty');
  if (head.includes('-----BEGIN')) {
    throw signError(
      file,
      'the signing certificate is a PEM file; --sign needs a PKCS#12 file (.p12, .pfx) holding the key and the certificate',
      'Make one with: openssl pkcs12 -export -inkey key.pem -in certificate.pem -out signer.p12',
    );
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const der = forge.util.createBuffer(Buffer.from(source.p12).toString('binary'));
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, source.password);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/MAC could not be verified|Invalid password/i.test(message)) {
      throw signError(file, 'the signing certificate cannot be opened with this password', 'The password comes from LETTERMERGE_SIGN_PASSWORD, or is asked for on a terminal.');
    }
    throw signError(file, `the signing certificate is not a PKCS#12 (.p12, .pfx) file lettermerge can read (${message})`);
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const key = keyBags.find((b) => b.key)?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key && keyBags.some((b) => b.asn1)) {
    // forge reads RSA keys only; a key it could not read is of another kind (EC, DSA, Ed25519).
    throw signError(file, 'the signing certificate holds a private key that is not RSA; lettermerge signs with RSA keys only', 'Ask for an RSA certificate (2048 bits or more) for signing documents.');
  }
  if (!key) throw signError(file, 'the signing certificate file holds no private key (an RSA key is needed)', 'Export the certificate with its private key.');
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? []).map((b) => b.cert).filter((c): c is forge.pki.Certificate => !!c);
  const signer = certs.find((c) => {
    const pub = c.publicKey as forge.pki.rsa.PublicKey;
    return pub.n && pub.n.compareTo(key.n) === 0 && pub.e.compareTo(key.e) === 0;
  });
  if (!signer) throw signError(file, 'the signing certificate file holds no certificate that matches its private key');
  const toDer = (c: forge.pki.Certificate) => Uint8Array.from(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary'));
  const certificates = [toDer(signer), ...certs.filter((c) => c !== signer).map(toDer)];
  const pkcs8 = Buffer.from(forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key))).getBytes(), 'binary');
  const cryptoKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  return {
    file,
    name: commonName(signer),
    notBefore: signer.validity.notBefore,
    notAfter: signer.validity.notAfter,
    keyBits: key.n.bitLength(),
    fingerprint: createHash('sha256').update(certificates[0]).digest('hex'),
    certificates,
    key: cryptoKey,
    ...(source.fixedTime !== undefined ? { fixedTime: source.fixedTime } : {}),
  };
}




let engineSet = false;
function useNodeCrypto(): void {
  if (engineSet) return;
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as never }));
  engineSet = true;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
};

/**
 * A CMS SignedData for PAdES B-B: detached, one signer, with the signed attributes content-type
 * (id-data), message-digest and ESS signing-certificate-v2 (the signer's certificate hash), and
 * no signing-time attribute (the time is the signature dictionary's /M).
 */
export class PadesSigner extends Signer {
  constructor(private readonly identity: SigningIdentity) {
    super();
  }

  override async sign(pdfBuffer: Buffer): Promise<Buffer> {
    useNodeCrypto();
    const certs = this.identity.certificates.map((der) => pkijs.Certificate.fromBER(der));
    const signerCert = certs[0];
    const certHash = createHash('sha256').update(this.identity.certificates[0]).digest();
    // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256 (omitted), certHash OCTET STRING }
    const signingCertificateV2 = new asn1js.Sequence({
      value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: certHash })] })] })],
    });
    const digest = createHash('sha256').update(pdfBuffer).digest();
    const signedData = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({ issuer: signerCert.issuer, serialNumber: signerCert.serialNumber }),
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
              new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
              new pkijs.Attribute({ type: OID.signingCertificateV2, values: [signingCertificateV2] }),
            ],
          }),
        }),
      ],
      certificates: certs,
    });
    await signedData.sign(this.identity.key as never, 0, 'SHA-256');
    const content = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
    return Buffer.from(content.toSchema().toBER(false));
  }
}

/** Signs a PDF that holds a signature placeholder (see the adapter's signaturePlaceholder). */
export async function signPdf(pdf: Buffer, identity: SigningIdentity): Promise<Buffer> {
  return new SignPdf().sign(pdf, new PadesSigner(identity));
}
