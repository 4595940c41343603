#!/usr/bin/env node
'use strict';
// s3rver for monotube's storage tests (started by scripts/s3-server.sh), with five gaps
// filled so that the tests see what AWS S3 and MinIO do:
//  1. AWS Signature V4 is verified, for the Authorization header and for presigned URLs
//     (s3rver accepts any well-formed V4 signature, so a wrong secret or a tampered URL
//     would pass). This is an implementation independent of monotube's C++ signer; the
//     awscli test shows that it agrees with botocore's.
//  2. Listings come in byte order of the keys, as S3 promises (s3rver walks its folders,
//     so "a/b" came before "a-c"), which start-after and continuation tokens rely on.
//  3. AbortMultipartUpload (DELETE ?uploadId=) is answered (s3rver says 405).
//  4. "Range: bytes=0-0" means the first byte (s3rver tests the end with `if (end)` and
//     so sent the whole object).
//  5. Writes (PUT, POST, DELETE) are taken one at a time: s3rver's DELETE removes folders
//     it left empty while a concurrent PUT creates its file in them, which crashed the
//     server. Reads stay concurrent; clients may still send many requests at once.
// Run it with node --openssl-legacy-provider: s3rver encrypts its continuation tokens
// with DES, which OpenSSL 3 only has in its legacy provider.
//
// usage: node server.js --directory DIR --port-file FILE [--address 127.0.0.1] [--port 0]
//                       [--bucket NAME]... [--region us-east-1] [--service-endpoint localhost]
//                       [--verbose]
// The port it listens on is written to --port-file once it accepts connections.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');
const S3Error = require('s3rver/lib/models/error');
const S3Object = require('s3rver/lib/models/object');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const { walk } = require('s3rver/lib/utils');

const OBJECT_SUFFIX = '._S3rver_object';

function parseArguments(argv) {
  const options = {
    address: '127.0.0.1',
    port: 0,
    buckets: [],
    region: 'us-east-1',
    serviceEndpoint: 'localhost',
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--directory': options.directory = value(); break;
      case '--port-file': options.portFile = value(); break;
      case '--address': options.address = value(); break;
      case '--port': options.port = Number(value()); break;
      case '--bucket': options.buckets.push(value()); break;
      case '--region': options.region = value(); break;
      case '--service-endpoint': options.serviceEndpoint = value(); break;
      case '--verbose': options.verbose = true; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!options.directory || !options.portFile) throw new Error('--directory and --port-file are required');
  return options;
}

// --- 1. Signature V4 -------------------------------------------------------------------

// RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone).
function uriEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function uriDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const sha256Hex = data => crypto.createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();

function compareStrings(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// A header's canonical value from the raw headers: repeated headers joined by ",",
// values trimmed and inner runs of spaces collapsed.
function canonicalHeaderValue(rawHeaders, name) {
  const values = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1].trim().replace(/ +/g, ' '));
  }
  return values.join(',');
}

function signatureV4Verifier(region) {
  return async function verifySignatureV4(ctx, next) {
    const { req } = ctx;
    const question = req.url.indexOf('?');
    const rawPath = question < 0 ? req.url : req.url.slice(0, question);
    const rawQuery = question < 0 ? '' : req.url.slice(question + 1);
    const params = rawQuery
      .split('&')
      .filter(pair => pair !== '')
      .map(pair => {
        const equals = pair.indexOf('=');
        return equals < 0 ? [uriDecode(pair), ''] : [uriDecode(pair.slice(0, equals)), uriDecode(pair.slice(equals + 1))];
      });
    const query = Object.fromEntries(params);
    const authorization = req.headers['authorization'];
    const presigned = 'X-Amz-Algorithm' in query;
    if (!presigned && (!authorization || !authorization.startsWith('AWS4-HMAC-SHA256 '))) {
      // Anonymous requests and Signature V2 stay s3rver's business.
      return next();
    }
    const malformed = presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed';

    let credential, signedHeaders, signature, amzDate, payloadHash;
    if (presigned) {
      credential = query['X-Amz-Credential'];
      signedHeaders = query['X-Amz-SignedHeaders'];
      signature = query['X-Amz-Signature'];
      amzDate = query['X-Amz-Date'];
      payloadHash = 'UNSIGNED-PAYLOAD';
    } else {
      const fields = {};
      for (const part of authorization.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
        const equals = part.indexOf('=');
        if (equals > 0) fields[part.slice(0, equals).trim()] = part.slice(equals + 1).trim();
      }
      credential = fields.Credential;
      signedHeaders = fields.SignedHeaders;
      signature = fields.Signature;
      amzDate = req.headers['x-amz-date'];
      payloadHash = req.headers['x-amz-content-sha256'];
    }
    if (!credential || !signedHeaders || !signature || !amzDate || !payloadHash) {
      throw new S3Error(malformed, 'The request is missing part of its Signature V4 authentication.');
    }
    const [accessKey, date, scopeRegion, service, terminator] = credential.split('/');
    if (terminator !== 'aws4_request' || service !== 's3' || !amzDate.startsWith(date)) {
      throw new S3Error(malformed, 'The credential scope is malformed.');
    }
    if (scopeRegion !== region) {
      throw new S3Error(
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'`,
        { Region: region },
      );
    }
    const account = AWSAccount.registry.get(accessKey);
    if (!account) {
      throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
        AWSAccessKeyId: accessKey,
      });
    }
    const headerNames = signedHeaders.split(';');
    if (!headerNames.includes('host')) throw new S3Error(malformed, 'The host header must be signed.');

    const canonicalUri = rawPath
      .split('/')
      .map(segment => uriEncode(uriDecode(segment)))
      .join('/');
    const canonicalQuery = params
      .filter(([name]) => !(presigned && name === 'X-Amz-Signature'))
      .map(([name, value]) => [uriEncode(name), uriEncode(value)])
      .sort(([a, av], [b, bv]) => compareStrings(a, b) || compareStrings(av, bv))
      .map(([name, value]) => `${name}=${value}`)
      .join('&');
    const canonicalHeaders = headerNames
      .map(name => `${name}:${canonicalHeaderValue(req.rawHeaders, name)}\n`)
      .join('');
    const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join(
      '\n',
    );
    const scope = `${date}/${scopeRegion}/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const secret = account.accessKeys.get(accessKey);
    let key = hmac('AWS4' + secret, date);
    key = hmac(key, scopeRegion);
    key = hmac(key, 's3');
    key = hmac(key, 'aws4_request');
    const expected = hmac(key, stringToSign).toString('hex');
    const given = Buffer.from(String(signature));
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, Buffer.from(expected))) {
      throw new S3Error(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and ' +
          'signing method.',
        { AWSAccessKeyId: accessKey, CanonicalRequest: canonicalRequest, StringToSign: stringToSign },
      );
    }
    return next();
  };
}

// --- 2. Listings in byte order ---------------------------------------------------------

function compareBytes(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

FilesystemStore.prototype.listObjects = async function listObjectsInByteOrder(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const bucketPath = this.getBucketPath(bucket);
  const keys = [];
  const folders = walk(bucketPath, folder => {
    const relative = folder.slice(bucketPath.length + 1) + '/';
    return relative.startsWith(prefix) || prefix.startsWith(relative);
  });
  for (const file of folders) {
    if (!file.endsWith(OBJECT_SUFFIX)) continue;
    const key = FilesystemStore.decodeKeyPath(file.slice(bucketPath.length + 1, -OBJECT_SUFFIX.length));
    if (key.startsWith(prefix) && compareBytes(key, startAfter) > 0) keys.push(key);
  }
  keys.sort(compareBytes);

  const commonPrefixes = new Set();
  const listed = [];
  let isTruncated = false;
  for (const key of keys) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      commonPrefixes.add(key.slice(0, cut + delimiter.length));
      continue;
    }
    if (listed.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    listed.push(key);
  }
  const objects = [];
  for (const key of listed) {
    try {
      objects.push(new S3Object(bucket, key, null, await this.getMetadata(bucket, key)));
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;  // deleted meanwhile
    }
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort(compareBytes), isTruncated };
};

// --- 3. AbortMultipartUpload -----------------------------------------------------------

function abortMultipartUpload(store) {
  return async function abortUpload(ctx, next) {
    if (ctx.method !== 'DELETE' || !('uploadId' in ctx.query)) return next();
    const bucket = ctx.path.split('/')[1];
    const uploadId = String(ctx.query.uploadId);
    const uploadDir = path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    if (!/^[0-9a-f]+$/.test(uploadId) || !fs.existsSync(uploadDir)) {
      throw new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been ' +
          'aborted or completed.',
        { UploadId: uploadId },
      );
    }
    await fs.promises.rm(uploadDir, { recursive: true, force: true });
    ctx.status = 204;
  };
}

// --- 4. Exact byte ranges ---------------------------------------------------------------

// s3rver's own getObject computes the end as `options.end || Infinity`, losing an end of 0.
FilesystemStore.prototype.getObject = async function getObjectInExactRange(bucket, key, options = {}) {
  let metadata;
  try {
    metadata = await this.getMetadata(bucket, key);
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
  const size = Number(metadata['content-length']);
  const ranged = options.start !== undefined || options.end !== undefined;
  const range = {
    start: options.start || 0,
    end: Math.min(options.end !== undefined ? options.end : Infinity, Math.max(0, size - 1)),
  };
  const object = new S3Object(bucket, key, null, metadata);
  if (ranged) object.range = range;
  if (range.start < 0 || range.end < range.start || (ranged && size === 0)) return object;  // unsatisfiable
  object.content = await new Promise((resolve, reject) => {
    const stream = fs
      .createReadStream(this.getResourcePath(bucket, key, 'object'), range)
      .on('error', reject)
      .on('open', () => resolve(stream));
  });
  return object;
};

function exactByteRanges(store) {
  return async function exactRanges(ctx, next) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(ctx.get('range'));
    if (match && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const start = Number(match[1]);
      const end = Number(match[2]);
      // This request's own view of the store, with the range s3rver failed to parse.
      ctx.store = Object.create(store, {
        getObject: { value: (bucket, key, options) => store.getObject(bucket, key, { ...options, start, end }) },
      });
    }
    return next();
  };
}

// --- 5. One write at a time ------------------------------------------------------------

function oneWriteAtATime() {
  let tail = Promise.resolve();
  return async function serializeWrites(ctx, next) {
    if (!['PUT', 'POST', 'DELETE'].includes(ctx.method)) return next();
    const previous = tail;
    let release;
    tail = new Promise(resolve => {
      release = resolve;
    });
    await previous;
    try {
      return await next();
    } finally {
      release();
    }
  };
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  fs.mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    directory: options.directory,
    address: options.address,
    port: options.port,
    silent: !options.verbose,
    serviceEndpoint: options.serviceEndpoint,
    configureBuckets: options.buckets.map(name => ({ name })),
  });
  // Koa composes its middleware when the server starts listening, so these still take
  // effect: the verifier right after the request logger (it must see the URL before the
  // virtual-host rewrite), then the write lock; the abort and range handlers just before
  // s3rver's router.
  server.middleware.splice(1, 0, signatureV4Verifier(options.region), oneWriteAtATime());
  server.middleware.splice(server.middleware.length - 1, 0, abortMultipartUpload(server.store),
    exactByteRanges(server.store));

  const { port } = await server.run();
  const temporary = `${options.portFile}.tmp`;
  fs.writeFileSync(temporary, `${port}\n`);
  fs.renameSync(temporary, options.portFile);
  console.log(`s3rver listening on ${options.address}:${port} (directory ${options.directory})`);

  const stop = () => server.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
