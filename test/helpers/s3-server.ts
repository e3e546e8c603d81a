import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { freePort } from './ports';
import { WatchedProcess } from './watched-process';

// A real S3 server for tests: versitygw (built by setup into the tools dir) with its posix backend, on 127.0.0.1,
// root keys from the environment (never its command line). Its request log (one line per request: status, method,
// path) is what tests read the order of uploads from.

const TOOLS = process.env.KILN_TOOLS_DIR ?? path.join(PROJECT_ROOT, '.tools');
const VERSITYGW = path.join(TOOLS, 'bin', 'versitygw');

export class S3Server {
  readonly accessKeyId = 'kiln-test';
  readonly secretAccessKey = crypto.randomBytes(16).toString('hex');
  url = '';
  private process?: WatchedProcess;
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-s3-'));

  async start(): Promise<void> {
    if (!fs.existsSync(VERSITYGW)) throw new Error(`${VERSITYGW} is missing: run \`npm run setup\``);
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.process = new WatchedProcess('versitygw', VERSITYGW, ['--port', `127.0.0.1:${port}`, 'posix', this.root], {
      env: { ...process.env, ROOT_ACCESS_KEY: this.accessKeyId, ROOT_SECRET_KEY: this.secretAccessKey },
    });
    await this.process.waitFor(/listening on/, 30_000);
  }

  client(): S3Client {
    return new S3Client({
      region: 'us-east-1', endpoint: this.url, forcePathStyle: true,
      credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** A bucket anyone may read objects of (GET without credentials), as one serving a repository over HTTP is. */
  async publicBucket(name: string): Promise<void> {
    const client = this.client();
    await client.send(new CreateBucketCommand({ Bucket: name }));
    await client.send(new PutBucketPolicyCommand({
      Bucket: name,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${name}/*`] }],
      }),
    }));
    client.destroy();
  }

  async keys(bucket: string, prefix = ''): Promise<string[]> {
    const client = this.client();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    client.destroy();
    return keys.sort();
  }

  /** The requests served so far, in order: `METHOD /bucket/key`. */
  requests(): string[] {
    return (this.process?.lines ?? []).flatMap((line) => {
      const m = /\|\s*vgw\s*\|\s*\d{3}\s*\|[^|]*\|[^|]*\|\s*([A-Z]+)\s*\|\s*(\S+)\s*\|/.exec(line);
      return m ? [`${m[1]} ${m[2]}`] : [];
    });
  }

  tail(lines = 40): string {
    return this.process?.tail(lines) ?? '';
  }

  async stop(): Promise<void> {
    await this.process?.kill('SIGTERM');
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
