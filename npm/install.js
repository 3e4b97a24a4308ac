#!/usr/bin/env node
// npm/install.js - the npm package's install script: builds drover from the
// sources in the package with meson and ninja and installs it into the
// package's own directory (bin/drover, lib/drover/droverd, ...), where
// npm's link to bin/drover finds it. When a build tool or library is missing
// it builds nothing and says which `apt-get install` line brings them.
// Run by `npm install`; scripts/make-npm.sh packs it (docs/install.md).
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const pkgDir = path.resolve(__dirname, '..');
const buildDir = path.join(pkgDir, 'build-npm');

// what each missing piece is in Debian 12 (and Ubuntu)
const tools = [
  ['cc', 'gcc'],
  ['meson', 'meson'],
  ['ninja', 'ninja-build'],
  ['pkg-config', 'pkg-config'],
];
const libs = [
  ['jansson', 'libjansson-dev'],
  ['yaml-0.1', 'libyaml-dev'],
  ['zlib', 'zlib1g-dev'],
  ['ncursesw', 'libncurses-dev'],
];

function say(msg) {
  process.stderr.write(`drover: ${msg}\n`);
}

function inPath(name) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir || '.', name), fs.constants.X_OK);
      return true;
    } catch (e) {
      return false;
    }
  });
}

function missingPackages() {
  const missing = tools.filter(([tool]) => !inPath(tool)).map(([, pkg]) => pkg);
  const havePkgConfig = inPath('pkg-config');
  for (const [lib, pkg] of libs) {
    const r = havePkgConfig ? spawnSync('pkg-config', ['--exists', lib]) : { status: 1 };
    if (r.status !== 0) missing.push(pkg);
  }
  return missing;
}

function run(argv, env) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: pkgDir, stdio: 'inherit', env });
  if (r.error) throw new Error(`${argv[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? 'on a signal'}`);
}

function main() {
  if (process.platform !== 'linux') {
    say(`drover runs on Linux only (this is ${process.platform})`);
    return 1;
  }
  const missing = missingPackages();
  if (missing.length) {
    say(`building from source needs ${missing.join(', ')}; install them with:`);
    say(`  sudo apt-get install ${missing.join(' ')} musl-tools`);
    say('(musl-tools is optional: a static supervisor uses less memory per instance)');
    say('then run the npm install again');
    return 1;
  }
  // the revision the package was made from; git must not look at a
  // repository the package happens to be installed in
  const rev = path.join(pkgDir, 'git-revision');
  if (fs.existsSync(rev)) fs.copyFileSync(rev, path.join(pkgDir, '.git-revision'));
  const env = { ...process.env, GIT_DIR: path.join(pkgDir, '.no-git') };
  fs.rmSync(buildDir, { recursive: true, force: true });
  try {
    run(['meson', 'setup', buildDir, `--prefix=${pkgDir}`, '--bindir=bin', '--buildtype=release',
      '-Dtests=disabled', '-Dwerror=false'], env);
    run(['ninja', '-C', buildDir], env);
    run(['meson', 'install', '-C', buildDir, '--no-rebuild', '--quiet'], env);
  } catch (e) {
    say(`the build failed: ${e.message}`);
    say(`(the build dir ${buildDir} is kept: see meson-logs/meson-log.txt there)`);
    return 1;
  }
  fs.rmSync(buildDir, { recursive: true, force: true });
  say(`built: ${path.join(pkgDir, 'bin', 'drover')} (try: drover doctor)`);
  return 0;
}

process.exitCode = main();
