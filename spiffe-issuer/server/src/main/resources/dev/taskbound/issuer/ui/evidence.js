// Verifies a task's evidence bundle in the browser with WebCrypto: each entry's RFC 6962 leaf hash, its RFC 9162
// inclusion proof against the bundle's checkpoint, and the checkpoint's Ed25519 signature (C2SP signed note) with
// the log's verifier key. Mirrors client/.../evidence/{CanonicalJson,MerkleProofs,SignedNote}.java.
"use strict";
const TaskboundEvidence = (() => {
  const enc = new TextEncoder();
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  // RFC 8785 for what the log writes: objects, arrays, strings, integers, booleans, null.
  function canonical(v) {
    if (v === null || typeof v !== "object") {
      if (typeof v === "number" && !Number.isInteger(v)) throw new Error("non-integer number in an entry");
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
  }

  const leafHash = async (entry) => sha256(concat(Uint8Array.of(0), enc.encode(canonical(entry))));
  const nodeHash = async (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  async function inclusion(index, size, leaf, proof, root) {
    if (index < 0 || index >= size) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if ((fn & 1) === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while ((fn & 1) === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(r, root);
  }

  function parseCheckpoint(note) {
    const split = note.indexOf("\n\n");
    const body = note.slice(0, split + 1);
    const [origin, size, root] = body.split("\n");
    const signatures = note.slice(split + 2).split("\n").filter((l) => l.startsWith("\u2014 "));
    return { body, origin, size: Number(size), root: b64(root), signatures };
  }

  // Ed25519 over the note body; returns null when this browser's WebCrypto has no Ed25519.
  async function checkpointSigned(cp, verifierKey) {
    // <name>+<hash>+<base64 key>: the base64 may itself contain '+', so split at the first two only.
    const line = verifierKey.trim();
    const first = line.indexOf("+"), second = line.indexOf("+", first + 1);
    const name = line.slice(0, first), hash = line.slice(first + 1, second), key = line.slice(second + 1);
    const raw = b64(key);
    if (raw[0] !== 1 || name !== cp.origin) return false;
    let publicKey;
    try {
      publicKey = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return null;
    }
    for (const line of cp.signatures) {
      const [, signer, sig] = line.split(" ");
      const bytes = b64(sig);
      const keyHash = Array.from(bytes.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
      if (signer === name && keyHash === hash
          && await crypto.subtle.verify({ name: "Ed25519" }, publicKey, bytes.slice(4), enc.encode(cp.body))) {
        return true;
      }
    }
    return false;
  }

  /** {ok, detail, events}: events are the statement's entries, in log order. */
  async function verify(bundle, verifierKey) {
    const statement = JSON.parse(new TextDecoder().decode(b64(bundle.envelope.payload)));
    const entries = statement.predicate.entries;
    const cp = parseCheckpoint(bundle.checkpoint);
    if (entries.length === 0 || bundle.proofs.length !== entries.length) {
      return { ok: false, detail: "entries and proofs do not match", events: entries };
    }
    for (let i = 0; i < entries.length; i++) {
      const proof = bundle.proofs[i];
      if (proof.leaf_index !== entries[i].leaf_index
          || !await inclusion(proof.leaf_index, cp.size, await leafHash(entries[i].event), proof.hashes.map(b64), cp.root)) {
        return { ok: false, detail: "entry at leaf " + entries[i].leaf_index + " is not in the signed tree", events: entries };
      }
    }
    const signed = await checkpointSigned(cp, verifierKey);
    if (signed === false) return { ok: false, detail: "the checkpoint signature does not verify", events: entries };
    const how = signed ? "checkpoint signature verified (Ed25519)" : "checkpoint signature not checked: no Ed25519 in this browser";
    return { ok: true, detail: entries.length + " entries included in tree of size " + cp.size + "; " + how, events: entries };
  }

  return { verify, canonical };
})();
