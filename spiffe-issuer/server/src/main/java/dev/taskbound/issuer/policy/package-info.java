/** Policy as code: CEL rules over the attested context, SPIFFE ID templates, default deny. */
package dev.taskbound.issuer.policy;
