// Release provenance: an in-toto Statement v1 with a SLSA provenance v1 predicate over every file of a release
// directory, in a DSSE envelope signed with the key of the Taskbound task it runs under (dogfood).
//
//   node scripts/lib/provenance.mjs sign DIR     -- under `taskbound run`: reads the task's X.509-SVID, key and
//                                                   bundle from $TASKBOUND_SVID_DIR; writes DIR/provenance.intoto.json
//                                                   (the envelope), provenance.svid.pem, provenance.bundle.pem
//   node scripts/lib/provenance.mjs verify DIR   -- checks the signature with the SVID's key, the SVID's chain to
//                                                   the bundle at signing time, that its URI SAN is the builder id,
//                                                   and every subject's SHA-256 against the files in DIR
//
// No dependencies: node's crypto does ECDSA P-256 (DER signatures, as sigstore's DSSE) and X.509.
import { createHash, createPrivateKey, sign, verify, X509Certificate } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PAYLOAD_TYPE = "application/vnd.in-toto+json";
const OWN_FILES = new Set(["provenance.intoto.json", "provenance.svid.pem", "provenance.bundle.pem",
  "provenance.evidence.json", "evidence-log.key"]);

function pae(type, body) {
  // DSSE v1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

function sha256(file) {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function subjects(dir) {
  return readdirSync(dir)
    .filter((name) => !OWN_FILES.has(name) && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => ({ name, digest: { sha256: sha256(join(dir, name)) } }));
}

function pemBlocks(text) {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this under \`taskbound run\``);
  return value;
}

function signRelease(dir) {
  const svidDir = env("TASKBOUND_SVID_DIR");
  const spiffeId = env("TASKBOUND_SPIFFE_ID");
  const taskId = env("TASKBOUND_TASK_ID");
  const issuer = env("TASKBOUND_ISSUER_URL");
  const startedOn = new Date().toISOString();
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: subjects(dir),
    predicateType: "https://slsa.dev/provenance/v1",
    predicate: {
      buildDefinition: {
        buildType: "https://taskbound.dev/release/v1",
        externalParameters: {
          source: process.env.RELEASE_SOURCE_URI ?? "",
          revision: process.env.RELEASE_REVISION ?? "",
          version: process.env.RELEASE_VERSION ?? "",
        },
        internalParameters: { builder: "scripts/release" },
        resolvedDependencies: process.env.RELEASE_REVISION
          ? [{ uri: process.env.RELEASE_SOURCE_URI ?? "", digest: { gitCommit: process.env.RELEASE_REVISION } }]
          : [],
      },
      runDetails: {
        // The signing step's identity: the task's SPIFFE ID, whose X.509-SVID signed this envelope.
        builder: { id: spiffeId },
        metadata: { invocationId: taskId, startedOn, finishedOn: new Date().toISOString() },
        byproducts: [
          {
            name: "task-evidence",
            // The task's evidence bundle: `taskbound evidence verify` checks it with the log's key.
            uri: `${issuer.replace(/\/$/, "")}/evidence/tasks/${encodeURIComponent(taskId)}`,
            mediaType: "application/json",
          },
        ],
      },
    },
  };
  const payload = Buffer.from(JSON.stringify(statement));
  const key = createPrivateKey(readFileSync(join(svidDir, "svid_key.pem")));
  const leaf = new X509Certificate(pemBlocks(readFileSync(join(svidDir, "svid.pem"), "utf8"))[0]);
  const envelope = {
    payloadType: PAYLOAD_TYPE,
    payload: payload.toString("base64"),
    signatures: [
      {
        keyid: `sha256:${createHash("sha256").update(leaf.raw).digest("hex")}`,
        sig: sign("sha256", pae(PAYLOAD_TYPE, payload), { key, dsaEncoding: "der" }).toString("base64"),
      },
    ],
  };
  writeFileSync(join(dir, "provenance.intoto.json"), JSON.stringify(envelope, null, 2) + "\n");
  writeFileSync(join(dir, "provenance.svid.pem"), readFileSync(join(svidDir, "svid.pem")));
  writeFileSync(join(dir, "provenance.bundle.pem"), readFileSync(join(svidDir, "bundle.pem")));
  console.log(`provenance: signed ${statement.subject.length} subjects as ${spiffeId} (task ${taskId})`);
}

function verifyRelease(dir) {
  const envelope = JSON.parse(readFileSync(join(dir, "provenance.intoto.json"), "utf8"));
  if (envelope.payloadType !== PAYLOAD_TYPE) throw new Error(`unexpected payloadType ${envelope.payloadType}`);
  const payload = Buffer.from(envelope.payload, "base64");
  const statement = JSON.parse(payload.toString("utf8"));
  const chain = pemBlocks(readFileSync(join(dir, "provenance.svid.pem"), "utf8")).map((p) => new X509Certificate(p));
  const anchors = pemBlocks(readFileSync(join(dir, "provenance.bundle.pem"), "utf8")).map((p) => new X509Certificate(p));
  const leaf = chain[0];
  if (!leaf) throw new Error("provenance.svid.pem holds no certificate");

  // 1. The envelope's signature, by the SVID's key.
  const keyid = `sha256:${createHash("sha256").update(leaf.raw).digest("hex")}`;
  const signature = envelope.signatures?.find((s) => s.keyid === keyid);
  if (!signature) throw new Error("no signature by the SVID in provenance.svid.pem");
  if (!verify("sha256", pae(envelope.payloadType, payload), { key: leaf.publicKey, dsaEncoding: "der" },
    Buffer.from(signature.sig, "base64"))) {
    throw new Error("the DSSE signature does not verify");
  }
  // 2. The SVID chains to the trust bundle and was valid when the statement says it signed.
  const signedAt = new Date(statement.predicate.runDetails.metadata.finishedOn);
  let cert = leaf;
  for (let depth = 0; ; depth++) {
    if (signedAt < new Date(cert.validFrom) || signedAt > new Date(cert.validTo)) {
      throw new Error(`certificate ${cert.subject} was not valid at ${signedAt.toISOString()}`);
    }
    const anchor = anchors.find((a) => cert.checkIssued(a) && cert.verify(a.publicKey));
    if (anchor) break;
    const next = chain.find((c) => c !== cert && cert.checkIssued(c) && cert.verify(c.publicKey));
    if (!next || depth > 8) throw new Error("the SVID does not chain to provenance.bundle.pem");
    cert = next;
  }
  // 3. The SVID is the builder: its URI SAN is the SPIFFE ID in the provenance.
  const builder = statement.predicate.runDetails.builder.id;
  const uris = (leaf.subjectAltName ?? "").split(", ").filter((s) => s.startsWith("URI:")).map((s) => s.slice(4));
  if (uris.length !== 1 || uris[0] !== builder) {
    throw new Error(`the SVID's SPIFFE ID ${uris.join(",")} is not the builder ${builder}`);
  }
  // 4. Every subject's digest, and no file of the release left out.
  const onDisk = subjects(dir);
  const claimed = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
  for (const file of onDisk) {
    if (!claimed.has(file.name)) throw new Error(`${file.name} is not a subject of the provenance`);
    if (claimed.get(file.name) !== file.digest.sha256) throw new Error(`${file.name}: SHA-256 differs from the provenance`);
  }
  if (claimed.size !== onDisk.length) throw new Error("the provenance names files that are not in the release");
  // 5. The evidence fetched for the signing task (checked by `taskbound evidence verify`) is that task's.
  const evidenceFile = join(dir, "provenance.evidence.json");
  if (readdirSync(dir).includes("provenance.evidence.json")) {
    // The bundle's own in-toto statement (its signature is what `taskbound evidence verify` checks).
    const bundle = JSON.parse(readFileSync(evidenceFile, "utf8"));
    const evidence = Buffer.from(bundle.envelope?.payload ?? "", "base64").toString("utf8");
    const taskId = statement.predicate.runDetails.metadata.invocationId;
    if (!evidence.includes(`"${taskId}"`) || !evidence.includes(`"${builder}"`)) {
      throw new Error(`provenance.evidence.json is not the evidence of task ${taskId} (${builder})`);
    }
  }
  console.log(`provenance verifies: ${onDisk.length} subjects, signed by ${builder}`);
  console.log(`  task evidence: ${statement.predicate.runDetails.byproducts[0].uri}`);
}

const [command, dir] = process.argv.slice(2);
try {
  if (command === "sign" && dir) signRelease(dir);
  else if (command === "verify" && dir) verifyRelease(dir);
  else {
    console.error("usage: provenance.mjs sign|verify DIR");
    process.exit(2);
  }
} catch (e) {
  console.error(`provenance: ${e.message}`);
  process.exit(1);
}
