"""jupyter_kernel_test's protocol suite against the tsrl kernel.

Every sample attribute is set, so no check is skipped. Run by tests/kernel-protocol.test.ts with
this checkout's own kernel spec first on JUPYTER_PATH (lib/cli/kernel-install.ts, jupyterEnv()):
    JUPYTER_PATH=node_modules/.tsrl/jupyter /usr/bin/python3 -m unittest -v tests/python/test_tsrl_kernel.py
"""
import unittest

import jupyter_kernel_test

SINK = "(globalThis as any)[Symbol.for('tsrl.displaySink')]"


class TsrlKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "tsrl"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = "console.log('hello, world')"
    code_stderr = "console.error('something went wrong')"

    completion_samples = [
        {"text": "const zzz_alpha = 1, zzz_beta = 2;\nzzz_al", "matches": {"zzz_alpha"}},
        {"text": "Math.flo", "matches": {"floor"}},
        {"text": "'abc'.toUpperC", "matches": {"toUpperCase"}},
    ]

    complete_code_samples = ["1", "const x = 1;", "function f() { return 1; }", "Math.max?"]
    incomplete_code_samples = ["function f() {", "const a = [1,", "`abc", "if (true) {\n  1;\n", "const y = 1 +"]
    invalid_code_samples = ["const = ;", "1 +* 2", ")", "'abc"]

    code_page_something = "Math.max?"

    code_generate_error = "throw new Error('boom')"

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'hel' + 'lo'", "result": "'hello'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
    ]

    code_display_data = [
        {"code": SINK + ".display({ 'text/html': '<b>hi</b>', 'text/plain': 'hi' })", "mime": "text/html"},
        {
            "code": SINK + ".display({ 'application/vnd.vegalite.v5+json': "
            "{ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', mark: 'point' } })",
            "mime": "application/vnd.vegalite.v5+json",
        },
    ]

    code_history_pattern = "6 ?*"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_clear_output = SINK + ".clear()"


if __name__ == "__main__":
    unittest.main()
