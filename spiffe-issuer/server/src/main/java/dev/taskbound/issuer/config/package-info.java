/** The one place that reads configuration: YAML file, command-line overrides, dev defaults. */
package dev.taskbound.issuer.config;
