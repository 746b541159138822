package dev.taskbound.issuer.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dev mode's operator login: a one-time code, printed on the issuer's terminal inside a login link, is exchanged
 * once for a dashboard session with the operator role. Codes live in memory only, kept as SHA-256 digests; a restart
 * forgets them. Never enabled outside dev mode.
 */
public final class DevLogin {
  public static final Duration SESSION_LIFETIME = Duration.ofHours(8);
  private static final Duration CODE_LIFETIME = Duration.ofHours(1);
  private static final Operator DEV_OPERATOR = new Operator("dev", "dev-operator", Set.of(Role.OPERATOR, Role.APPROVER));

  private final Clock clock;
  private final AdminSessions sessions;
  private final Map<String, Instant> codes = new ConcurrentHashMap<>();

  public DevLogin(Clock clock, AdminSessions sessions) {
    this.clock = clock;
    this.sessions = sessions;
  }

  /** A new single-use login code, valid for an hour. */
  public String newCode() {
    String code = AdminSessions.random("tblogin_");
    codes.put(AdminSessions.sha256(code), clock.instant().plus(CODE_LIFETIME));
    return code;
  }

  /** Spends {@code code} for a session; empty when the code is unknown, spent or expired. */
  public Optional<AdminSessions.Session> login(String code) {
    if (code == null) {
      return Optional.empty();
    }
    Instant expires = codes.remove(AdminSessions.sha256(code));
    if (expires == null || !clock.instant().isBefore(expires)) {
      return Optional.empty();
    }
    return Optional.of(sessions.open(DEV_OPERATOR, SESSION_LIFETIME));
  }
}
