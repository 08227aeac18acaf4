import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "wasm/**", "node_modules/**", "asm/**", "results/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
