package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** RFC 9457 problem details. {@code type} is stable (see {@link ProblemType}); {@code detail} never holds a secret. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance) {}
