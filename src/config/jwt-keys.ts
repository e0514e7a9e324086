import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ENV } from './config.schema';
import type { JwtAlgorithm, JwtKey } from './config.types';

interface KeyFamily {
  readonly label: string;
  readonly defaultAlgorithm: JwtAlgorithm;
  accepts(alg: JwtAlgorithm): boolean;
}

function keyFamily(key: KeyObject): KeyFamily | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { label: 'RSA', defaultAlgorithm: 'RS256', accepts: (alg) => alg.startsWith('RS') || alg.startsWith('PS') };
    case 'rsa-pss':
      return { label: 'RSA-PSS', defaultAlgorithm: 'PS256', accepts: (alg) => alg.startsWith('PS') };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const alg = curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : undefined;
      if (alg === undefined) return undefined;
      return { label: `EC ${curve}`, defaultAlgorithm: alg, accepts: (candidate) => candidate === alg };
    }
    default:
      return undefined;
  }
}

/** One key's algorithms: the explicit list (each must fit the key), else the JWK's `alg`, else the key's default. */
function algorithmsFor(
  key: KeyObject,
  explicit: readonly JwtAlgorithm[] | undefined,
  jwkAlg: unknown,
  where: string,
): JwtAlgorithm[] | string {
  const family = keyFamily(key);
  if (!family)
    return `${ENV.jwtPublicKeyFile.name}: unsupported key type ${key.asymmetricKeyType ?? 'unknown'} in ${where} (use RSA or EC P-256/P-384/P-521)`;
  if (explicit) {
    const fitting = explicit.filter((alg) => family.accepts(alg));
    if (fitting.length === 0)
      return `${ENV.jwtAlgorithms.name}: ${explicit.join(', ')} cannot be verified with the ${family.label} key in ${where}`;
    return fitting;
  }
  if (typeof jwkAlg === 'string') {
    const alg = jwkAlg as JwtAlgorithm;
    if (!family.accepts(alg)) return `${ENV.jwtPublicKeyFile.name}: alg ${alg} does not fit the ${family.label} key in ${where}`;
    return [alg];
  }
  return [family.defaultAlgorithm];
}

/**
 * Reads JWT_PUBLIC_KEY_FILE: one PEM public key, or a JWKS (`{ "keys": [...] }`) for key
 * rotation, where every key needs a distinct `kid`. Returns the keys, or one error line.
 */
export function parsePublicKeys(
  text: string,
  file: string,
  explicit: readonly JwtAlgorithm[] | undefined,
): { keys: JwtKey[]; algorithms: JwtAlgorithm[] } | string {
  const name = ENV.jwtPublicKeyFile.name;
  if (text.trimStart().startsWith('{')) {
    let jwks: { keys?: unknown };
    try {
      jwks = JSON.parse(text) as { keys?: unknown };
    } catch {
      return `${name}: ${file} is neither a PEM public key nor valid JWKS JSON`;
    }
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) return `${name}: ${file} is JSON but has no "keys" array`;
    const keys: JwtKey[] = [];
    for (const [index, jwk] of (jwks.keys as JsonWebKey[]).entries()) {
      const kid = (jwk as { kid?: unknown }).kid;
      if (typeof kid !== 'string' || kid.length === 0) return `${name}: key ${index} in ${file} has no "kid"`;
      if (keys.some((key) => key.kid === kid)) return `${name}: kid "${kid}" appears twice in ${file}`;
      if ('d' in jwk) return `${name}: key "${kid}" in ${file} is a private key; give the server only public keys`;
      let key: KeyObject;
      try {
        key = createPublicKey({ key: jwk, format: 'jwk' });
      } catch {
        return `${name}: key "${kid}" in ${file} is not a valid public JWK`;
      }
      const algorithms = algorithmsFor(key, explicit, (jwk as { alg?: unknown }).alg, `key "${kid}"`);
      if (typeof algorithms === 'string') return algorithms;
      keys.push({ kid, key: key.export({ type: 'spki', format: 'pem' }).toString(), algorithms });
    }
    return { keys, algorithms: [...new Set(keys.flatMap((key) => key.algorithms))] };
  }
  if (text.includes('PRIVATE KEY')) return `${name}: ${file} holds a private key; give the server only the public key`;
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    return `${name}: ${file} is not a PEM public key`;
  }
  const algorithms = algorithmsFor(key, explicit, undefined, file);
  if (typeof algorithms === 'string') return algorithms;
  if (explicit && algorithms.length < explicit.length) {
    const wrong = explicit.filter((alg) => !algorithms.includes(alg));
    return `${ENV.jwtAlgorithms.name}: ${wrong.join(', ')} cannot be verified with the key in JWT_PUBLIC_KEY_FILE`;
  }
  return { keys: [{ key: text, algorithms }], algorithms };
}
