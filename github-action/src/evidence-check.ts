import { verifyEvidenceBundle, verifyReceipt, type RevocationReceipt, type VerificationResult } from './evidence-verifier.js';
import type { EndedTask, IssuerClient } from './issuer-client.js';
import { errorMessage } from './task-session.js';

/** What the action itself found when it checked the task's evidence after the end. */
export interface EvidenceReport {
  verifierKey: string | null;
  bundle: VerificationResult | null;
  receipt: RevocationReceipt | null;
  /** Why something could not be checked at all (download failed, receipt missing or forged). */
  problems: string[];
}

/**
 * Downloads the task's bundle and the log's verifier key and verifies both the bundle and the signed revocation
 * receipt offline. The key comes from the same issuer, so this proves the issuer's log is self-consistent and
 * holds the task's end; pinning the key out of band (docs) proves more.
 */
export async function checkEvidence(client: IssuerClient, ended: EndedTask): Promise<EvidenceReport> {
  const report: EvidenceReport = { verifierKey: null, bundle: null, receipt: null, problems: [] };
  try {
    report.verifierKey = await client.evidenceKey();
  } catch (e) {
    report.problems.push(`could not download the log's verifier key: ${errorMessage(e)}`);
    return report;
  }
  try {
    report.bundle = verifyEvidenceBundle(await client.evidenceBundle(ended.task_id), report.verifierKey);
  } catch (e) {
    report.problems.push(`could not download the evidence bundle: ${errorMessage(e)}`);
  }
  if (ended.receipt === undefined || ended.receipt === null) {
    report.problems.push('the issuer returned no revocation receipt');
  } else {
    try {
      report.receipt = verifyReceipt(ended.receipt, report.verifierKey);
      if (report.receipt.taskId !== ended.task_id) {
        report.problems.push(`the revocation receipt is for ${report.receipt.taskId}, not ${ended.task_id}`);
      }
    } catch (e) {
      report.problems.push(`the revocation receipt does not verify: ${errorMessage(e)}`);
    }
  }
  return report;
}

export function evidenceVerified(report: EvidenceReport): boolean {
  return report.problems.length === 0 && report.bundle?.ok === true && report.receipt !== null;
}
