// A throwaway certificate authority and a broker certificate for 127.0.0.1, made with openssl.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  caFile: string;
  ca: string;
  certFile: string;
  /** The server certificate followed by the CA: the chain a client that verifies the path needs. */
  chainFile: string;
  keyFile: string;
  /** The CA certificate as base64 DER on one line. */
  caDerBase64: string;
  /** Where the CA's files are (clientCertificate() signs with its key). */
  dir: string;
}

export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  /** PEM: the certificate, and its RSA key as PKCS#8 (what the Moddable SDK's TLS can sign with). */
  cert: string;
  key: string;
  /** Both as base64 DER on one line, for the device's build config. */
  certDerBase64: string;
  keyDerBase64: string;
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Altimeter Test CA', '-keyout', file('ca.key'), '-out', file('ca.crt'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('san.ext'), '-out', file('server.crt'));
  // mosquitto, dropped to its own user, reads these.
  chmodSync(dir, 0o755);
  chmodSync(file('server.key'), 0o644);
  writeFileSync(file('chain.crt'), readFileSync(file('server.crt'), 'utf8') + readFileSync(file('ca.crt'), 'utf8'));
  chmodSync(file('chain.crt'), 0o644);
  const ca = readFileSync(file('ca.crt'), 'utf8');
  return {
    caFile: file('ca.crt'),
    ca,
    certFile: file('server.crt'),
    chainFile: file('chain.crt'),
    keyFile: file('server.key'),
    caDerBase64: ca.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''),
    dir,
  };
}

/** A client certificate for `commonName`, signed by the test CA (mutual TLS). */
export function clientCertificate(ca: TestCertificates, commonName: string): ClientCertificate {
  const file = (name: string) => path.join(ca.dir, `${commonName}.${name}`);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', file('key'), '-out', file('csr'));
  openssl('x509', '-req', '-in', file('csr'), '-CA', ca.caFile, '-CAkey', path.join(ca.dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-out', file('crt'));
  const der = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const cert = readFileSync(file('crt'), 'utf8');
  const key = readFileSync(file('key'), 'utf8');
  if (!key.startsWith('-----BEGIN PRIVATE KEY-----')) throw new Error('openssl did not write a PKCS#8 key');
  return { certFile: file('crt'), keyFile: file('key'), cert, key, certDerBase64: der(cert), keyDerBase64: der(key) };
}
