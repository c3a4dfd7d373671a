// The two ends of the review: run by actions/github-script in ristretto-plan.yml and
// ristretto-apply.yml, with the `github` client and `context` it provides.
//
// upsertPlanComment: on a pull request, put the plan into ONE comment, found again by a hidden
//   marker and updated on every push (never a second comment). The comment records, in a second
//   hidden line, what was planned: the commit, the plan file, its digest and the planned tree.
//
// findReviewedPlan: after the merge, find that comment on the merged pull request and hand the
//   apply step the plan file and the digest it shows, refusing when the comment is not for the
//   pull request's last commit or when main's tree is not the tree that was planned.
//
// Only comments written by COMMENT_AUTHOR (default github-actions[bot], the GITHUB_TOKEN's
// identity) count: anyone can write the marker in a comment of their own.

'use strict';

const fs = require('fs');

const MARKER = '<!-- ristretto-plan -->';
const METADATA = /<!-- ristretto-plan-metadata (\{.*?\}) -->/;
// GitHub refuses a comment body longer than this.
const MAX_BODY = 65536;

const HEX40 = /^[0-9a-f]{40}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const PLAN_LOCATION = /^s3:\/\/[A-Za-z0-9._-]+\/[A-Za-z0-9._/=+-]+$/;

function author(env) {
  return env.COMMENT_AUTHOR || 'github-actions[bot]';
}

function isPlanComment(comment, env) {
  return comment.user && comment.user.login === author(env) && (comment.body || '').includes(MARKER);
}

async function planComments(github, context, issueNumber, env) {
  const comments = await github.paginate(github.rest.issues.listComments, {
    ...context.repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  return comments.filter((comment) => isPlanComment(comment, env));
}

function runUrl(context) {
  return `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
}

// What the comment records. Every value is checked against its expected shape, so nothing in
// it can close the HTML comment or smuggle text into the apply command.
function checkedMetadata(metadata) {
  const problems = [];
  if (!HEX40.test(metadata.head_sha || '')) problems.push('head_sha is not a commit SHA');
  if (!HEX40.test(metadata.tree || '')) problems.push('tree is not a tree SHA');
  if (!PLAN_LOCATION.test(metadata.plan || '')) problems.push('plan is not an s3:// location');
  if (metadata.digest !== null && !HEX64.test(metadata.digest || '')) {
    problems.push('digest is not a SHA-256 digest');
  }
  if (problems.length > 0) {
    throw new Error(`the plan comment's metadata is malformed: ${problems.join('; ')}`);
  }
  return {
    head_sha: metadata.head_sha,
    tree: metadata.tree,
    plan: metadata.plan,
    digest: metadata.digest,
  };
}

function readIfPresent(file) {
  try {
    return file ? fs.readFileSync(file, 'utf8') : '';
  } catch (error) {
    if (error.code === 'ENOENT') return '';
    throw error;
  }
}

function commentBody(context, env) {
  const metadata = checkedMetadata({
    head_sha: env.HEAD_SHA,
    tree: env.PLANNED_TREE,
    plan: env.PLAN_LOCATION,
    digest: env.PLAN_DIGEST ? env.PLAN_DIGEST : null,
  });
  const head = [MARKER, `<!-- ristretto-plan-metadata ${JSON.stringify(metadata)} -->`, ''];
  const short = metadata.head_sha.slice(0, 7);
  if (metadata.digest === null) {
    // A plan the policies refused (exit 6) was still printed: show it, with the denials.
    const printed = readIfPresent(env.PLAN_MARKDOWN).trimEnd();
    const failed = [
      ...head,
      `### ristretto plan failed for ${short}`,
      '',
      `See [the run](${runUrl(context)}). Merging now applies nothing: there is no reviewed plan ` +
        'for the last commit. Push a fix to plan again.',
      '',
    ];
    if (printed === '') {
      return failed.join('\n');
    }
    const room = MAX_BODY - failed.join('\n').length - 200;
    return [...failed, printed.length > room ? `${printed.slice(0, room)}\n\n…` : printed, ''].join('\n');
  }
  const footer = [
    '',
    '---',
    `Plan for ${short}: \`${metadata.plan}\`, digest \`${metadata.digest}\`.`,
    'Merging applies exactly this plan (`ristretto apply --expect-digest` with this digest); ' +
      'a new push plans again and replaces this comment.',
    '',
  ].join('\n');
  let plan = fs.readFileSync(env.PLAN_MARKDOWN, 'utf8').trimEnd();
  const room = MAX_BODY - head.join('\n').length - footer.length - 200;
  if (plan.length > room) {
    plan =
      `${plan.slice(0, room)}\n\n… the plan is longer than a comment can hold: ` +
      `read it whole in [the run's summary](${runUrl(context)}).`;
  }
  return [...head, plan, footer].join('\n');
}

async function upsertPlanComment({ github, context, core }, env = process.env) {
  const issueNumber = context.payload.pull_request.number;
  const body = commentBody(context, env);
  const existing = await planComments(github, context, issueNumber, env);
  let result;
  if (existing.length === 0) {
    const { data } = await github.rest.issues.createComment({
      ...context.repo,
      issue_number: issueNumber,
      body,
    });
    result = { action: 'created', id: data.id };
  } else {
    const [kept, ...extra] = existing;
    await github.rest.issues.updateComment({ ...context.repo, comment_id: kept.id, body });
    // A second plan comment can only come from two runs racing; keep one.
    for (const comment of extra) {
      await github.rest.issues.deleteComment({ ...context.repo, comment_id: comment.id });
    }
    result = { action: 'updated', id: kept.id };
  }
  core.info(`Plan comment ${result.action}: ${result.id}`);
  core.setOutput('comment-id', String(result.id));
  return result;
}

async function findReviewedPlan({ github, context, core }, env = process.env) {
  try {
    const sha = context.sha;
    const { data: pulls } = await github.rest.repos.listPullRequestsAssociatedWithCommit({
      ...context.repo,
      commit_sha: sha,
    });
    const pull = pulls.find((candidate) => candidate.merged_at && candidate.merge_commit_sha === sha);
    if (!pull) {
      throw new Error(
        `${sha} is not the merge of a pull request: only plans reviewed on a pull request are applied`,
      );
    }
    const comments = await planComments(github, context, pull.number, env);
    if (comments.length === 0) {
      throw new Error(`pull request #${pull.number} has no plan comment: it was never planned`);
    }
    const latest = comments.reduce((a, b) => (new Date(b.updated_at) > new Date(a.updated_at) ? b : a));
    const match = METADATA.exec(latest.body);
    if (!match) throw new Error(`the plan comment on #${pull.number} has no metadata line`);
    const metadata = checkedMetadata(JSON.parse(match[1]));
    if (metadata.head_sha !== pull.head.sha) {
      throw new Error(
        `the plan comment on #${pull.number} is for ${metadata.head_sha}, but the pull request's ` +
          `last commit is ${pull.head.sha}: the last push was not planned (its plan was still ` +
          'running or failed when it was merged); nothing is applied',
      );
    }
    if (metadata.digest === null) {
      throw new Error(`the plan of #${pull.number} failed for its last commit; nothing is applied`);
    }
    if (env.MERGED_TREE !== metadata.tree) {
      throw new Error(
        `the merged tree (${env.MERGED_TREE}) is not the planned tree (${metadata.tree}): ` +
          `the base branch changed after #${pull.number} was planned; nothing is applied. ` +
          'Require branches to be up to date before merging, so that every merge was planned as merged',
      );
    }
    core.setOutput('pull-request', String(pull.number));
    core.setOutput('plan', metadata.plan);
    core.setOutput('digest', metadata.digest);
    core.info(`Applying the plan reviewed on #${pull.number}: ${metadata.plan} (digest ${metadata.digest})`);
    return { pullRequest: pull.number, ...metadata };
  } catch (error) {
    core.setFailed(error.message);
    return null;
  }
}

module.exports = { upsertPlanComment, findReviewedPlan, MARKER };
