package dev.taskbound.issuer.policy;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelErrorCode;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.parser.CelUnparserFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rule's {@code when}: a CEL expression over {@code ci}, {@code claims} and {@code request}, compiled and
 * type-checked once (it must be a {@code bool}, or {@code dyn} checked at evaluation) and then evaluated per
 * request. Programs are immutable and safe to share between threads.
 */
final class Condition {
  private static final Pattern POSITION = Pattern.compile("<input>:(\\d+)");
  private static final Pattern MISSING_KEY = Pattern.compile("key '([A-Za-z0-9_]{1,64})' is not present");

  /** One environment for every policy: building it is the expensive part, and it holds no per-policy state. */
  private static final Cel CEL =
      CelFactory.standardCelBuilder()
          // Keeps macro calls in the AST so a conjunct holding e.g. exists() can be printed back as source.
          .setOptions(CelOptions.current().populateMacroCalls(true).build())
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar(ConditionInput.CI, MapType.create(SimpleType.STRING, SimpleType.STRING))
          .addVar(ConditionInput.CLAIMS, MapType.create(SimpleType.STRING, SimpleType.DYN))
          .addVar(ConditionInput.REQUEST, MapType.create(SimpleType.STRING, SimpleType.DYN))
          .setResultType(SimpleType.BOOL)
          .build();

  enum Outcome {
    TRUE,
    FALSE,
    ERROR
  }

  /** What one evaluation gave; {@code detail} explains an {@link Outcome#ERROR} and never holds input values. */
  record Result(Outcome outcome, String detail) {}

  /** How near a false condition came to holding: conjuncts of its top-level {@code &&} that held, and one that did not. */
  record Closeness(int held, int total, String firstUnmet) {}

  private record Conjunct(String source, CelRuntime.Program program) {}

  private final String source;
  private final CelRuntime.Program program;
  private final List<Conjunct> conjuncts;
  private final Map<String, Set<String>> pins;

  private Condition(String source, CelRuntime.Program program, List<Conjunct> conjuncts, Map<String, Set<String>> pins) {
    this.source = source;
    this.program = program;
    this.conjuncts = List.copyOf(conjuncts);
    this.pins = Map.copyOf(pins);
  }

  /**
   * Parses, type-checks and plans the expression.
   *
   * @throws IllegalArgumentException with CEL's error report when it does not compile
   */
  static Condition compile(String source) {
    CelAbstractSyntaxTree ast = check(source);
    List<Conjunct> conjuncts = new ArrayList<>();
    List<CelExpr> parts = new ArrayList<>();
    flattenAnd(ast.getExpr(), parts);
    if (parts.size() > 1) {
      try {
        for (CelExpr part : parts) {
          String text =
              CelUnparserFactory.newUnparser().unparse(CelAbstractSyntaxTree.newParsedAst(part, ast.getSource()));
          conjuncts.add(new Conjunct(text, plan(check(text))));
        }
      } catch (RuntimeException e) {
        // Conjuncts only improve deny details; the whole expression compiled, so judge it as one.
        conjuncts.clear();
      }
    }
    Map<String, Set<String>> pins = new HashMap<>();
    for (CelExpr part : parts) {
      pin(part, pins);
    }
    return new Condition(source, plan(ast), conjuncts, pins);
  }

  /**
   * The literal values a top-level conjunct pins {@code ci.<key>} to — {@code ci.key == 'v'} (either side),
   * {@code ci.key in ['a', 'b']}, {@code ci['key']} alike — or an empty set when no top-level conjunct does. A pin
   * inside {@code ||} or {@code !} does not count: it does not hold for every request the condition admits.
   */
  Set<String> pinnedValues(String key) {
    return pins.getOrDefault(key, Set.of());
  }

  private static void pin(CelExpr part, Map<String, Set<String>> pins) {
    if (part.getKind() != CelExpr.ExprKind.Kind.CALL || part.call().target().isPresent() || part.call().args().size() != 2) {
      return;
    }
    CelExpr left = part.call().args().get(0);
    CelExpr right = part.call().args().get(1);
    switch (part.call().function()) {
      case "_==_" -> {
        String key = ciKey(left) != null ? ciKey(left) : ciKey(right);
        String value = ciKey(left) != null ? stringConstant(right) : stringConstant(left);
        if (key != null && value != null) {
          pins.computeIfAbsent(key, k -> new HashSet<>()).add(value);
        }
      }
      case "@in" -> {
        String key = ciKey(left);
        if (key != null && right.getKind() == CelExpr.ExprKind.Kind.LIST) {
          Set<String> values = new HashSet<>();
          for (CelExpr element : right.list().elements()) {
            if (stringConstant(element) == null) {
              return;
            }
            values.add(stringConstant(element));
          }
          pins.computeIfAbsent(key, k -> new HashSet<>()).addAll(values);
        }
      }
      default -> {
        // Other comparisons pin nothing we can name.
      }
    }
  }

  /** {@code key} when {@code expr} is {@code ci.key} or {@code ci['key']}, else null. */
  private static String ciKey(CelExpr expr) {
    if (expr.getKind() == CelExpr.ExprKind.Kind.SELECT && !expr.select().testOnly() && isCi(expr.select().operand())) {
      return expr.select().field();
    }
    if (expr.getKind() == CelExpr.ExprKind.Kind.CALL && expr.call().function().equals("_[_]") && expr.call().args().size() == 2
        && isCi(expr.call().args().get(0))) {
      return stringConstant(expr.call().args().get(1));
    }
    return null;
  }

  private static boolean isCi(CelExpr expr) {
    return expr.getKind() == CelExpr.ExprKind.Kind.IDENT && expr.ident().name().equals(ConditionInput.CI);
  }

  private static String stringConstant(CelExpr expr) {
    return expr.getKind() == CelExpr.ExprKind.Kind.CONSTANT && expr.constant().getKind() == CelConstant.Kind.STRING_VALUE
        ? expr.constant().stringValue() : null;
  }

  Result evaluate(Map<String, Object> input) {
    return run(program, source, input);
  }

  /** Measures each top-level conjunct on its own; one that fails to evaluate counts as unmet. */
  Closeness closeness(Map<String, Object> input) {
    if (conjuncts.isEmpty()) {
      return new Closeness(0, 1, source);
    }
    int held = 0;
    String firstUnmet = null;
    for (Conjunct conjunct : conjuncts) {
      if (run(conjunct.program(), conjunct.source(), input).outcome() == Outcome.TRUE) {
        held++;
      } else if (firstUnmet == null) {
        firstUnmet = conjunct.source();
      }
    }
    return new Closeness(held, conjuncts.size(), firstUnmet);
  }

  @Override
  public String toString() {
    return source;
  }

  private static Result run(CelRuntime.Program program, String source, Map<String, Object> input) {
    Object value;
    try {
      value = program.eval(input);
    } catch (CelEvaluationException e) {
      return new Result(Outcome.ERROR, describe(e, source));
    } catch (RuntimeException e) {
      // CEL reports most failures as CelEvaluationException; anything else is still a deny, never a 500.
      return new Result(Outcome.ERROR, "evaluation failed: " + e.getClass().getSimpleName());
    }
    if (value instanceof Boolean b) {
      return new Result(b ? Outcome.TRUE : Outcome.FALSE, null);
    }
    String type = value == null ? "null" : value.getClass().getSimpleName();
    return new Result(Outcome.ERROR, "condition returned " + type + ", not bool");
  }

  private static CelAbstractSyntaxTree check(String source) {
    CelValidationResult result = CEL.compile(source);
    if (result.hasError()) {
      throw new IllegalArgumentException(result.getErrorString());
    }
    try {
      return result.getAst();
    } catch (dev.cel.common.CelValidationException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static CelRuntime.Program plan(CelAbstractSyntaxTree ast) {
    try {
      return CEL.createProgram(ast);
    } catch (CelEvaluationException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static void flattenAnd(CelExpr expr, List<CelExpr> out) {
    if (expr.getKind() == CelExpr.ExprKind.Kind.CALL
        && expr.call().function().equals("_&&_")
        && expr.call().target().isEmpty()) {
      for (CelExpr arg : expr.call().args()) {
        flattenAnd(arg, out);
      }
    } else {
      out.add(expr);
    }
  }

  /**
   * Says what went wrong without CEL's own message, which can quote input values (a claim that failed to parse as
   * an int, a dynamic map key). A missing key is named only when the expression spells it out.
   */
  private static String describe(CelEvaluationException e, String source) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    Matcher position = POSITION.matcher(message);
    String at = position.find() ? " at position " + position.group(1) : "";
    CelErrorCode code = e.getErrorCode();
    if (code == CelErrorCode.ATTRIBUTE_NOT_FOUND) {
      Matcher key = MISSING_KEY.matcher(message);
      if (key.find() && (source.contains("." + key.group(1)) || source.contains("'" + key.group(1) + "'"))) {
        return "key '" + key.group(1) + "' is missing" + at;
      }
      return "a key the condition reads is missing" + at;
    }
    if (code == CelErrorCode.OVERLOAD_NOT_FOUND) {
      return "type error: no function or operator for these argument types" + at;
    }
    String kind = code == null ? "evaluation failed" : code.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    return "evaluation error (" + kind + ")" + at;
  }
}
