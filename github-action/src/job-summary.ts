import * as core from '@actions/core';
import { evidenceVerified, type EvidenceReport } from './evidence-check.js';
import type { EndedTask } from './issuer-client.js';
import { residualExposureSeconds } from './task-statement.js';

export interface SummaryFacts {
  taskId: string;
  spiffeId: string;
  scope: 'step' | 'job';
  ended: EndedTask;
  evidence: EvidenceReport;
  /** Who ended the task: the step itself, the end action, or post at the end of the job. */
  endedBy: string;
}

/** The job summary of one ended task: identity, credentials, revocation, and the action's own evidence check. */
export async function writeTaskSummary(f: SummaryFacts): Promise<void> {
  const verified = evidenceVerified(f.evidence);
  const s = core.summary
    .addHeading(`Taskbound: ${f.scope}-scoped task ${f.ended.outcome}`, 3)
    .addTable([
      [{ data: 'Task', header: true }, { data: 'SPIFFE ID', header: true }, { data: 'Outcome', header: true }, { data: 'Ended', header: true }],
      [code(f.taskId), code(f.spiffeId), f.ended.outcome, `${f.ended.ended_at} (${f.endedBy})`],
    ]);
  s.addHeading('Credentials', 4).addTable([
    ['Kind', 'Id', 'Audience', 'Expires', 'Revoked', 'Residual exposure'].map((h) => ({ data: h, header: true })),
    ...credentialRows(f),
  ]);
  const exposure = maxExposure(f);
  s.addRaw(
    `Residual exposure: <b>${exposure === null ? 'unknown' : duration(exposure)}</b> — how long a copy of a revoked ` +
      'credential could still pass a verifier that checks only its expiry.',
    true,
  );
  s.addHeading(`Evidence: ${verified ? 'verified by this action' : 'NOT verified'}`, 4).addList(evidenceLines(f.evidence));
  if (f.ended.evidence_url) {
    s.addRaw(`Bundle: ${code(f.ended.evidence_url)}; verify it offline with <code>taskbound evidence verify</code>.`, true);
  }
  await s.write();
}

function credentialRows(f: SummaryFacts): string[][] {
  const statement = f.evidence.bundle?.statement;
  if (statement) {
    return statement.credentials.map((c) => [
      c.kind,
      code(c.credentialId),
      c.audience ?? '—',
      epoch(c.expiresAt),
      c.revokedAt === null ? 'not revoked' : epoch(c.revokedAt),
      c.residualExposureSeconds === null ? '—' : duration(c.residualExposureSeconds),
    ]);
  }
  // Without a verified statement, show what the end response claimed. (Empty cells render broken in core.summary.)
  return f.ended.revoked.map((r) => [r.kind, code(r.id), '—', r.expires_at, r.revoked_at, duration(r.residual_exposure_seconds)]);
}

function maxExposure(f: SummaryFacts): number | null {
  const statement = f.evidence.bundle?.statement;
  if (statement) {
    return residualExposureSeconds(statement);
  }
  return f.ended.revoked.length === 0 ? null : Math.max(...f.ended.revoked.map((r) => r.residual_exposure_seconds));
}

function evidenceLines(e: EvidenceReport): string[] {
  const lines: string[] = [];
  const b = e.bundle;
  if (b !== null) {
    const failed = (check: string) => b.failures.filter((x) => x.check === check).map((x) => x.detail);
    const line = (label: string, checks: string[], okText: string) => {
      const problems = checks.flatMap(failed);
      lines.push(problems.length === 0 ? `✅ ${label}: ${okText}` : `❌ ${label}: ${escapeHtml(problems.join('; '))}`);
    };
    const cp = b.checkpoint;
    line('bundle format', ['bundle-format'], 'canonical JSON, known media type');
    line('checkpoint signature', ['checkpoint-signature'], cp ? `log ${code(cp.origin)}, tree size ${cp.size}` : 'signed');
    line('statement signature (DSSE, Ed25519 over PAE)', ['envelope-signature'], 'valid');
    line('statement matches its log entries', ['statement'], `${b.statement?.entries.length ?? 0} entries`);
    line('inclusion proofs against the checkpoint root', ['inclusion-proof'], `${b.provenEntries} of ${b.statement?.entries.length ?? 0} entries`);
    line('task ended, every credential revoked or expired', ['task-ended', 'credentials-closed'], `outcome ${b.statement?.outcome ?? '?'}`);
  }
  if (e.receipt !== null) {
    lines.push(`✅ revocation receipt: signed, ${e.receipt.revoked.length} credentials revoked, task.ended at leaf ${e.receipt.taskEndedLeafIndex}`);
  }
  for (const p of e.problems) {
    lines.push(`❌ ${escapeHtml(p)}`);
  }
  if (e.verifierKey !== null) {
    lines.push(`log verifier key (from the issuer): ${code(e.verifierKey)}`);
  }
  return lines;
}

function epoch(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** 298 → "4m58s". */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return (h ? `${h}h` : '') + (h || m ? `${m}m` : '') + `${s}s`;
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
