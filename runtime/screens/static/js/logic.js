/**
 * JsonLogic in the browser: the same Rust engine the server runs (datalogic), compiled to WebAssembly.
 *
 *   import { evaluate, truthy } from "/static/js/logic.js";
 *   evaluate({"==": [{"var": "urgency"}, "特急"]}, {urgency: "特急"});   // true
 *
 * The browser's answer is for instant feedback only; the server (runtime/forms/logic.py, datalogic-py) decides
 * (DESIGN.md §4). tests/e2e/test_logic_parity.py proves both give identical results on the official suite, the
 * shared edge cases and tests/runtime/forms/parity_cases.json.
 *
 * The module loads the vendored .wasm once, with a top-level await: once `import` resolves, `evaluate` is
 * synchronous. Our Content-Security-Policy allows this through 'wasm-unsafe-eval' (runtime/security.py).
 * Rules are compiled once and kept, keyed by their JSON text, like the server's cache.
 */
import init, { CompiledRule } from "../vendor/@goplasmatic/datalogic/datalogic_wasm.js";

await init({ module_or_path: new URL("../vendor/@goplasmatic/datalogic/datalogic_wasm_bg.wasm", import.meta.url) });

const CACHE_SIZE = 1000;
const SHOWN_RULE_CHARS = 200;
const compiled = new Map();

/**
 * A rule that cannot be compiled or failed on its data. `errorType` is the engine's tag in the server's spelling
 * ("InvalidOperator", "Thrown", "InvalidArguments"…), so both sides name a failure alike.
 */
export class RuleError extends Error {
  constructor(rule, detail) {
    const shown = rule.length <= SHOWN_RULE_CHARS ? rule : rule.slice(0, SHOWN_RULE_CHARS) + "…";
    const zh = `规则 ${shown} 无法求值：${detail}`;
    const en = `Rule ${shown} cannot be evaluated: ${detail}`;
    super(`${zh}\n${en}`);
    this.name = "RuleError";
    this.zh = zh;
    this.en = en;
    this.rule = rule;
    this.errorType = errorTag(detail);
  }
}

// The WASM build reports "Invalid arguments: NaN" where the Python binding reports error_type "InvalidArguments".
function errorTag(detail) {
  const head = detail.split(":", 1)[0].trim();
  return head.split(/\s+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
}

function detailOf(error) {
  return String(error instanceof Error ? error.message : error);
}

function compile(text) {
  let rule = compiled.get(text);
  if (rule === undefined) {
    try {
      rule = new CompiledRule(text, false);
    } catch (error) {
      throw new RuleError(text, detailOf(error));
    }
    if (compiled.size >= CACHE_SIZE) {
      const [oldest, old] = compiled.entries().next().value;
      compiled.delete(oldest);
      old.free();
    }
    compiled.set(text, rule);
  }
  return rule;
}

/** Evaluate the JsonLogic `rule` against `data` (any JSON value); throws RuleError naming the rule. */
export function evaluate(rule, data = null) {
  const text = JSON.stringify(rule);
  const compiledRule = compile(text);
  let result;
  try {
    result = compiledRule.evaluate(JSON.stringify(data ?? null));
  } catch (error) {
    throw new RuleError(text, detailOf(error));
  }
  return JSON.parse(result);
}

const TRUTHY = { "!!": [{ var: "value" }] };

/** JsonLogic truthiness, as `if`, `and`, `!` and `!!` use it: "0" is true; [], "", {} and null are false. */
export function truthy(value) {
  return evaluate(TRUTHY, { value: value ?? null });
}
