package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where a task's events landed in the evidence log. */
public record EvidenceRef(@JsonProperty("leaf_index") long leafIndex, String checkpoint) {}
