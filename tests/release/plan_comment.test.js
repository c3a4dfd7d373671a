// The plan-comment script of examples/github-actions (ristretto-plan-comment.js), driven with the
// same GitHub client actions/github-script gives it (@actions/github's getOctokit), against a
// local stand-in for the GitHub REST API that keeps comments in memory and records every request.
// Run by scripts/check-release.sh: node --test tests/release/plan_comment.test.js

'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { test, beforeEach, afterEach } = require('node:test');
const { getOctokit } = require('@actions/github');

const script = require('../../examples/github-actions/.github/scripts/ristretto-plan-comment.js');

const OWNER = 'acme';
const REPO = 'shop';
const BOT = { login: 'github-actions[bot]', type: 'Bot' };
const HEAD = 'a'.repeat(40);
const TREE = 'b'.repeat(40);
const DIGEST = 'c'.repeat(64);
const PLAN = `s3://acme-plans/plans/${HEAD}.json`;

// The subset of the REST API the script uses, with GitHub's pagination (Link headers).
class GitHubStandIn {
  constructor() {
    this.requests = [];
    this.comments = []; // {id, issue, body, user, updated_at}
    this.pulls = {}; // commit sha -> [pull request]
    this.nextId = 1000;
    this.clock = Date.parse('2030-01-01T00:00:00Z');
  }

  addComment(issue, body, user = BOT) {
    const comment = { id: this.nextId++, issue, body, user, updated_at: this.tick() };
    this.comments.push(comment);
    return comment;
  }

  tick() {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  start() {
    this.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const url = new URL(request.url, 'http://stand-in');
        this.requests.push({
          method: request.method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          body: body ? JSON.parse(body) : undefined,
          authorization: request.headers.authorization,
        });
        const [status, payload, headers] = this.route(request.method, url, body ? JSON.parse(body) : undefined);
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(payload === undefined ? '' : JSON.stringify(payload));
      });
    });
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${this.server.address().port}`;
        resolve();
      });
    });
  }

  stop() {
    return new Promise((resolve) => this.server.close(resolve));
  }

  route(method, url, body) {
    const prefix = `/repos/${OWNER}/${REPO}`;
    let match;
    if (method === 'GET' && (match = url.pathname.match(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
      if (!url.pathname.startsWith(prefix)) return [404, { message: 'Not Found' }];
      const all = this.comments.filter((comment) => comment.issue === Number(match[1]));
      const perPage = Number(url.searchParams.get('per_page') || 30);
      const page = Number(url.searchParams.get('page') || 1);
      const slice = all.slice((page - 1) * perPage, page * perPage).map((comment) => this.view(comment));
      const headers = {};
      if (page * perPage < all.length) {
        headers.link = `<${this.url}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      }
      return [200, slice, headers];
    }
    if (method === 'POST' && (match = url.pathname.match(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
      const comment = this.addComment(Number(match[1]), body.body);
      return [201, this.view(comment)];
    }
    if ((match = url.pathname.match(/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/))) {
      const index = this.comments.findIndex((comment) => comment.id === Number(match[1]));
      if (index < 0) return [404, { message: 'Not Found' }];
      if (method === 'PATCH') {
        this.comments[index].body = body.body;
        this.comments[index].updated_at = this.tick();
        return [200, this.view(this.comments[index])];
      }
      if (method === 'DELETE') {
        this.comments.splice(index, 1);
        return [204, undefined];
      }
    }
    if (method === 'GET' && (match = url.pathname.match(/^\/repos\/[^/]+\/[^/]+\/commits\/([0-9a-f]+)\/pulls$/))) {
      return [200, this.pulls[match[1]] || []];
    }
    return [404, { message: `the stand-in does not serve ${method} ${url.pathname}` }];
  }

  view(comment) {
    return { id: comment.id, body: comment.body, user: comment.user, updated_at: comment.updated_at };
  }

  writes() {
    return this.requests.filter((request) => request.method !== 'GET');
  }
}

class Core {
  constructor() {
    this.outputs = {};
    this.failed = null;
    this.logs = [];
  }
  setOutput(name, value) {
    this.outputs[name] = value;
  }
  setFailed(message) {
    this.failed = message;
  }
  info(message) {
    this.logs.push(message);
  }
}

let api;
let github;
let directory;

beforeEach(async () => {
  api = new GitHubStandIn();
  await api.start();
  github = getOctokit('ghs_job_token', { baseUrl: api.url });
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ristretto-comment-'));
});

afterEach(async () => {
  await api.stop();
  fs.rmSync(directory, { recursive: true, force: true });
});

function pullRequestContext(number = 7) {
  return {
    repo: { owner: OWNER, repo: REPO },
    payload: { pull_request: { number } },
    serverUrl: 'https://github.example',
    runId: 42,
  };
}

function planEnvironment(markdown, overrides = {}) {
  const file = path.join(directory, 'plan.md');
  fs.writeFileSync(file, markdown);
  return {
    HEAD_SHA: HEAD,
    PLANNED_TREE: TREE,
    PLAN_LOCATION: PLAN,
    PLAN_DIGEST: DIGEST,
    PLAN_MARKDOWN: file,
    ...overrides,
  };
}

const MARKDOWN = '### ristretto plan\n\n**1 to update.**\n\n| service | cluster |\n';

test('the first plan creates one comment; the next push updates it', async () => {
  const core = new Core();
  api.addComment(7, 'LGTM', { login: 'alice', type: 'User' });

  const first = await script.upsertPlanComment({ github, context: pullRequestContext(), core }, planEnvironment(MARKDOWN));
  assert.equal(first.action, 'created');
  assert.deepEqual(
    api.writes().map((request) => [request.method, request.path]),
    [['POST', `/repos/${OWNER}/${REPO}/issues/7/comments`]],
  );
  assert.equal(api.requests[0].authorization, 'token ghs_job_token');

  const newDigest = 'd'.repeat(64);
  const second = await script.upsertPlanComment(
    { github, context: pullRequestContext(), core },
    planEnvironment('### ristretto plan\n\n**No changes.**\n', { PLAN_DIGEST: newDigest }),
  );
  assert.deepEqual(second, { action: 'updated', id: first.id });
  assert.deepEqual(
    api.writes().map((request) => [request.method, request.path]),
    [
      ['POST', `/repos/${OWNER}/${REPO}/issues/7/comments`],
      ['PATCH', `/repos/${OWNER}/${REPO}/issues/comments/${first.id}`],
    ],
  );
  const ours = api.comments.filter((comment) => comment.user.login === BOT.login);
  assert.equal(ours.length, 1, 'one plan comment');
  assert.match(ours[0].body, /\*\*No changes\.\*\*/);
  assert.ok(ours[0].body.includes(`digest \`${newDigest}\``), 'the comment shows the full digest');
  assert.ok(ours[0].body.startsWith(`${script.MARKER}\n<!-- ristretto-plan-metadata {"head_sha":"${HEAD}","tree":"${TREE}","plan":"${PLAN}","digest":"${newDigest}"} -->\n`));
  assert.equal(core.outputs['comment-id'], String(first.id));
  assert.equal(api.comments.find((comment) => comment.user.login === 'alice').body, 'LGTM');
});

test('the plan comment is found on a later page, and a forged marker is left alone', async () => {
  const core = new Core();
  const forged = api.addComment(7, `${script.MARKER} I wrote this`, { login: 'mallory', type: 'User' });
  for (let index = 0; index < 150; index++) api.addComment(7, `comment ${index}`, { login: 'bob', type: 'User' });
  const planned = api.addComment(7, `${script.MARKER}\nold plan`);

  const result = await script.upsertPlanComment({ github, context: pullRequestContext(), core }, planEnvironment(MARKDOWN));
  assert.deepEqual(result, { action: 'updated', id: planned.id });
  const listed = api.requests.filter((request) => request.method === 'GET').map((request) => request.query.page || '1');
  assert.deepEqual(listed, ['1', '2'], 'both pages read');
  assert.equal(api.comments.find((comment) => comment.id === forged.id).body, `${script.MARKER} I wrote this`);
});

test('a duplicate left by racing runs is removed', async () => {
  const core = new Core();
  const kept = api.addComment(7, `${script.MARKER}\none`);
  const duplicate = api.addComment(7, `${script.MARKER}\ntwo`);
  await script.upsertPlanComment({ github, context: pullRequestContext(), core }, planEnvironment(MARKDOWN));
  assert.deepEqual(
    api.writes().map((request) => [request.method, request.path]),
    [
      ['PATCH', `/repos/${OWNER}/${REPO}/issues/comments/${kept.id}`],
      ['DELETE', `/repos/${OWNER}/${REPO}/issues/comments/${duplicate.id}`],
    ],
  );
});

test('a failed plan says so and records no digest', async () => {
  const core = new Core();
  await script.upsertPlanComment({ github, context: pullRequestContext(), core }, planEnvironment('', { PLAN_DIGEST: '' }));
  const [comment] = api.comments;
  assert.match(comment.body, /### ristretto plan failed for aaaaaaa/);
  assert.match(comment.body, /"digest":null/);
  assert.ok(comment.body.includes('https://github.example/acme/shop/actions/runs/42'));
});

test('a plan the policies refused is shown under the failure, with its denials', async () => {
  const core = new Core();
  const refused = '### ristretto plan\n\n**Policies: refused: 1 denial (8 files)**\n\n- **deny** <code>policies/image_tags.rego:8</code>\n';
  await script.upsertPlanComment({ github, context: pullRequestContext(), core }, planEnvironment(refused, { PLAN_DIGEST: '' }));
  const [comment] = api.comments;
  assert.match(comment.body, /### ristretto plan failed for aaaaaaa/);
  assert.match(comment.body, /"digest":null/);
  assert.ok(comment.body.includes('**Policies: refused: 1 denial (8 files)**'), comment.body);
  assert.ok(!comment.body.includes('Merging applies exactly this plan'), 'no digest to apply');
});

test('a plan longer than a comment can hold is cut, with a link to the full plan', async () => {
  const core = new Core();
  await script.upsertPlanComment({ github, context: pullRequestContext(), core }, planEnvironment(`${'x'.repeat(70000)}\n`));
  const [comment] = api.comments;
  assert.ok(comment.body.length <= 65536, `${comment.body.length} characters`);
  assert.match(comment.body, /read it whole in \[the run's summary\]\(https:\/\/github\.example\/acme\/shop\/actions\/runs\/42\)/);
  assert.ok(comment.body.includes(`digest \`${DIGEST}\``), 'the digest survives the cut');
});

test('metadata that could break out of the HTML comment is refused before anything is written', async () => {
  const core = new Core();
  await assert.rejects(
    script.upsertPlanComment(
      { github, context: pullRequestContext(), core },
      planEnvironment(MARKDOWN, { PLAN_LOCATION: 's3://bucket/plans/x.json --> <b>' }),
    ),
    /plan is not an s3:\/\/ location/,
  );
  assert.deepEqual(api.requests, []);
});

// ---------------------------------------------------------------------------------------------
// After the merge

const MERGE = 'e'.repeat(40);

function pushContext() {
  return { repo: { owner: OWNER, repo: REPO }, sha: MERGE, payload: {}, serverUrl: 'https://github.example', runId: 43 };
}

async function planned(number = 7) {
  await script.upsertPlanComment({ github, context: pullRequestContext(number), core: new Core() }, planEnvironment(MARKDOWN));
  api.requests = [];
}

function merged(number = 7, head = HEAD) {
  api.pulls[MERGE] = [
    { number: 3, merged_at: null, merge_commit_sha: 'f'.repeat(40), head: { sha: '1'.repeat(40) } },
    { number, merged_at: '2030-01-02T00:00:00Z', merge_commit_sha: MERGE, head: { sha: head } },
  ];
}

test('the apply step gets the plan and the digest the comment shows', async () => {
  await planned();
  merged();
  const core = new Core();
  const found = await script.findReviewedPlan({ github, context: pushContext(), core }, { MERGED_TREE: TREE });
  assert.equal(core.failed, null);
  assert.deepEqual(core.outputs, { 'pull-request': '7', plan: PLAN, digest: DIGEST });
  assert.equal(found.digest, DIGEST);
  assert.deepEqual(
    api.requests.map((request) => [request.method, request.path]),
    [
      ['GET', `/repos/${OWNER}/${REPO}/commits/${MERGE}/pulls`],
      ['GET', `/repos/${OWNER}/${REPO}/issues/7/comments`],
    ],
  );
  assert.deepEqual(api.writes(), []);
});

test('apply refuses a push that is not a merged pull request', async () => {
  const core = new Core();
  await script.findReviewedPlan({ github, context: pushContext(), core }, { MERGED_TREE: TREE });
  assert.match(core.failed, /is not the merge of a pull request: only plans reviewed on a pull request are applied/);
  assert.deepEqual(core.outputs, {});
});

test('apply refuses when the last push was not planned', async () => {
  await planned();
  merged(7, '9'.repeat(40));
  const core = new Core();
  await script.findReviewedPlan({ github, context: pushContext(), core }, { MERGED_TREE: TREE });
  assert.match(core.failed, /is for a{40}, but the pull request's last commit is 9{40}: the last push was not planned/);
  assert.deepEqual(core.outputs, {});
});

test('apply refuses when main moved after the plan', async () => {
  await planned();
  merged();
  const core = new Core();
  await script.findReviewedPlan({ github, context: pushContext(), core }, { MERGED_TREE: '0'.repeat(40) });
  assert.match(core.failed, /the merged tree \(0{40}\) is not the planned tree \(b{40}\)/);
  assert.deepEqual(core.outputs, {});
});

test('apply refuses after a failed plan, and ignores a forged comment', async () => {
  await script.upsertPlanComment({ github, context: pullRequestContext(), core: new Core() }, planEnvironment('', { PLAN_DIGEST: '' }));
  const forgedMetadata = JSON.stringify({ head_sha: HEAD, tree: TREE, plan: PLAN, digest: 'f'.repeat(64) });
  api.addComment(7, `${script.MARKER}\n<!-- ristretto-plan-metadata ${forgedMetadata} -->`, { login: 'mallory', type: 'User' });
  merged();
  const core = new Core();
  await script.findReviewedPlan({ github, context: pushContext(), core }, { MERGED_TREE: TREE });
  assert.match(core.failed, /the plan of #7 failed for its last commit; nothing is applied/);
  assert.deepEqual(core.outputs, {});
});

test('apply refuses a pull request that was never planned', async () => {
  merged();
  const core = new Core();
  await script.findReviewedPlan({ github, context: pushContext(), core }, { MERGED_TREE: TREE });
  assert.match(core.failed, /pull request #7 has no plan comment: it was never planned/);
});
