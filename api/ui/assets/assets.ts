import * as crypto from 'node:crypto';
import { CLIENT_JS } from './client-script';
import { STYLE_CSS } from './style';

// The UI's static files: named by their content, so browsers may keep them for a year.

export interface Asset {
  url: string;
  contentType: string;
  body: string;
}

function asset(name: string, ext: string, contentType: string, body: string): Asset {
  const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { url: `/ui/assets/${name}-${hash}.${ext}`, contentType, body };
}

export const STYLE = asset('kiln', 'css', 'text/css; charset=utf-8', STYLE_CSS);
export const SCRIPT = asset('kiln', 'js', 'text/javascript; charset=utf-8', CLIENT_JS);

export const ASSETS: ReadonlyMap<string, Asset> = new Map([STYLE, SCRIPT].map((a) => [a.url, a]));
