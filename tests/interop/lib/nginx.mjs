// Debian's nginx on a free loopback port, configured from deploy/nginx.conf with the test's
// gateway ports, in a temporary prefix directory (`nginx -p <dir> -c <dir>/nginx.conf`, no
// daemon, logs in the directory).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, repoRoot, waitFor } from './gateway.mjs';
import { httpsRequest } from './tls.mjs';

// deploy/nginx.conf with: the listen port, the gateway and API upstream servers, and (when not
// sticky) the hash directive removed so the upstream is plain round robin.
// With `tls` ({ cert, key, httpPort }): deploy/nginx-tls.conf, HTTPS on `port` with those files
// and its redirecting plain HTTP server on httpPort.
export function nginxConfig({ port, gateways, api, sticky = true, dir, tls }) {
  let conf = readFileSync(path.join(repoRoot, tls ? 'deploy/nginx-tls.conf' : 'deploy/nginx.conf'), 'utf8');
  const replaceOnce = (re, text) => {
    if (!re.test(conf)) throw new Error(`deploy/nginx.conf no longer matches ${re}`);
    conf = conf.replace(re, text);
  };
  if (tls) {
    replaceOnce(/listen 80;/, `listen 127.0.0.1:${tls.httpPort};`);
    replaceOnce(/listen 443 ssl;/, `listen 127.0.0.1:${port} ssl;`);
    replaceOnce(/ssl_certificate \/etc\/nginx\/tls\/tls\.crt;/, `ssl_certificate ${tls.cert};`);
    replaceOnce(/ssl_certificate_key \/etc\/nginx\/tls\/tls\.key;/, `ssl_certificate_key ${tls.key};`);
  } else {
    replaceOnce(/listen 80;/, `listen 127.0.0.1:${port};`);
  }
  replaceOnce(/(upstream pulseboard_gateways \{[\s\S]*?)(?:\s*server [^;]+;)+/, (_, head) =>
    head + gateways.map((p) => `\n    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join(''));
  replaceOnce(/(upstream pulseboard_api \{\s*)server [^;]+;/, `$1server 127.0.0.1:${api};`);
  replaceOnce(/worker_processes auto;/, 'worker_processes 1;');
  if (!sticky) replaceOnce(/\n\s*hash \$remote_addr consistent;/, '');
  const local = [
    'daemon off;',
    'user root;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
  ].join('\n');
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n');
  conf = `${local}\n${conf.replace(/http \{/, `http {\n  access_log ${dir}/access.log;\n${temps}`)}`;
  return conf;
}

// `tls`: { cert, key, ca } files and the CA a client trusts (deploy/nginx-tls.conf).
export async function startNginx({ gateways, api, sticky = true, tls }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-nginx-'));
  const port = await freePort();
  const tlsFiles = tls && { ...tls, httpPort: await freePort() };
  writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig({ port, gateways, api, sticky, dir, tls: tlsFiles }));
  const child = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const probe = async () => {
    const target = `${url}/socket.io/?EIO=4&transport=polling`;
    return tls ? (await httpsRequest(target, { ca: tls.ca })).status : (await fetch(target)).status;
  };
  await waitFor(async () => {
    if (exited) throw new Error(`nginx exited: ${stderr}`);
    return (await probe()) === 200;
  }, { what: `nginx on ${port}` });
  return {
    url,
    port,
    httpUrl: tlsFiles && `http://127.0.0.1:${tlsFiles.httpPort}`,
    dir,
    async stop() {
      if (!exited) {
        child.kill('SIGQUIT');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
