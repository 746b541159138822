package dev.taskbound.issuer.policy;

/** A rule with its condition compiled, as a loaded {@link Policy} keeps it. */
record CompiledRule(PolicyRule rule, Condition condition) {}
