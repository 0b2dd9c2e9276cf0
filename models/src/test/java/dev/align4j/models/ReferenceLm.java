package dev.align4j.models;

import java.util.Map;

/**
 * An independent float64 re-implementation of the GPT-2 and Llama-family forward passes, for
 * tests: plain loops over {@code double[]}, one sequence at a time, written from the Hugging
 * Face modeling files (modeling_gpt2.py, modeling_llama.py, modeling_qwen2.py, modeling_qwen3.py)
 * and sharing no code with the engine. Weights are given by their Hugging Face names, in the
 * Hub's layouts (GPT-2's Conv1D weights are {@code [in, out]}; Linear weights {@code [out, in]}).
 */
public final class ReferenceLm {
    private ReferenceLm() {}

    /** Llama-family hyper-parameters (llama, qwen2, qwen3, mistral). */
    public record Llama(int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int vocab,
                 double rmsEps, double[] invFreq, boolean qkNorm, boolean tied) {}

    /** GPT-2 hyper-parameters. */
    public record Gpt2(int embd, int inner, int layers, int heads, int vocab, double lnEps, String prefix) {}

    /** log p(ids[t+1] | ids[0..t]) for t in [0, n-1), positions 0..n-1. */
    public static double[] tokenLogProbs(double[][] logits, int[] ids) {
        double[] out = new double[ids.length - 1];
        for (int t = 0; t + 1 < ids.length; t++) out[t] = logSoftmax(logits[t])[ids[t + 1]];
        return out;
    }

    public static double[] logSoftmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double s = 0;
        for (double v : x) s += Math.exp(v - max);
        double lse = max + Math.log(s);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - lse;
        return out;
    }

    // ------------------------------------------------------------------ GPT-2

    public static double[][] gpt2Logits(Gpt2 c, Map<String, double[]> w, int[] ids) {
        int n = ids.length, C = c.embd();
        String p = c.prefix();
        double[][] x = new double[n][C];
        for (int t = 0; t < n; t++)
            for (int i = 0; i < C; i++) x[t][i] = w.get(p + "wte.weight")[ids[t] * C + i] + w.get(p + "wpe.weight")[t * C + i];
        for (int l = 0; l < c.layers(); l++) {
            String h = p + "h." + l + ".";
            double[][] a = layerNorm(x, w.get(h + "ln_1.weight"), w.get(h + "ln_1.bias"), c.lnEps());
            double[][] qkv = conv1d(a, w.get(h + "attn.c_attn.weight"), w.get(h + "attn.c_attn.bias"), C, 3 * C);
            int hd = C / c.heads();
            double[][] q = new double[n][C], k = new double[n][C], v = new double[n][C];
            for (int t = 0; t < n; t++) {
                System.arraycopy(qkv[t], 0, q[t], 0, C);
                System.arraycopy(qkv[t], C, k[t], 0, C);
                System.arraycopy(qkv[t], 2 * C, v[t], 0, C);
            }
            double[][] y = attention(q, k, v, c.heads(), c.heads(), hd);
            add(x, conv1d(y, w.get(h + "attn.c_proj.weight"), w.get(h + "attn.c_proj.bias"), C, C));
            double[][] m = layerNorm(x, w.get(h + "ln_2.weight"), w.get(h + "ln_2.bias"), c.lnEps());
            double[][] f = conv1d(m, w.get(h + "mlp.c_fc.weight"), w.get(h + "mlp.c_fc.bias"), C, c.inner());
            for (double[] row : f) for (int i = 0; i < row.length; i++) row[i] = geluTanh(row[i]);
            add(x, conv1d(f, w.get(h + "mlp.c_proj.weight"), w.get(h + "mlp.c_proj.bias"), c.inner(), C));
        }
        x = layerNorm(x, w.get(p + "ln_f.weight"), w.get(p + "ln_f.bias"), c.lnEps());
        return linear(x, w.get(p + "wte.weight"), null, C, c.vocab()); // lm_head tied to wte
    }

    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    public static double[][] layerNorm(double[][] x, double[] g, double[] b, double eps) {
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double mean = 0, var = 0;
            for (double v : x[t]) mean += v;
            mean /= x[t].length;
            for (double v : x[t]) var += (v - mean) * (v - mean);
            var /= x[t].length;
            double rstd = 1 / Math.sqrt(var + eps);
            out[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) out[t][i] = (x[t][i] - mean) * rstd * g[i] + (b == null ? 0 : b[i]);
        }
        return out;
    }

    /** Conv1D: y = x·W + b with W stored [in, out]. */
    public static double[][] conv1d(double[][] x, double[] wt, double[] b, int in, int out) {
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += x[t][i] * wt[i * out + o];
                y[t][o] = s;
            }
        return y;
    }

    // ------------------------------------------------------------------ Llama family

    public static double[][] llamaLogits(Llama c, Map<String, double[]> w, int[] ids, int[] positions) {
        int n = ids.length, C = c.hidden(), hd = c.headDim();
        double[][] x = new double[n][C];
        for (int t = 0; t < n; t++)
            for (int i = 0; i < C; i++) x[t][i] = w.get("model.embed_tokens.weight")[ids[t] * C + i];
        for (int l = 0; l < c.layers(); l++) {
            String h = "model.layers." + l + ".";
            double[][] a = rmsNorm(x, w.get(h + "input_layernorm.weight"), c.rmsEps());
            double[][] q = proj(a, w, h + "self_attn.q_proj", C, c.heads() * hd);
            double[][] k = proj(a, w, h + "self_attn.k_proj", C, c.kvHeads() * hd);
            double[][] v = proj(a, w, h + "self_attn.v_proj", C, c.kvHeads() * hd);
            if (c.qkNorm()) {
                headRmsNorm(q, c.heads(), hd, w.get(h + "self_attn.q_norm.weight"), c.rmsEps());
                headRmsNorm(k, c.kvHeads(), hd, w.get(h + "self_attn.k_norm.weight"), c.rmsEps());
            }
            rope(q, c.heads(), hd, positions, c.invFreq());
            rope(k, c.kvHeads(), hd, positions, c.invFreq());
            double[][] y = attention(q, k, v, c.heads(), c.kvHeads(), hd);
            add(x, proj(y, w, h + "self_attn.o_proj", c.heads() * hd, C));
            double[][] m = rmsNorm(x, w.get(h + "post_attention_layernorm.weight"), c.rmsEps());
            double[][] gate = proj(m, w, h + "mlp.gate_proj", C, c.intermediate());
            double[][] up = proj(m, w, h + "mlp.up_proj", C, c.intermediate());
            for (int t = 0; t < n; t++)
                for (int i = 0; i < c.intermediate(); i++) {
                    double g = gate[t][i];
                    gate[t][i] = g / (1 + Math.exp(-g)) * up[t][i];
                }
            add(x, proj(gate, w, h + "mlp.down_proj", c.intermediate(), C));
        }
        x = rmsNorm(x, w.get("model.norm.weight"), c.rmsEps());
        return linear(x, w.get(c.tied() ? "model.embed_tokens.weight" : "lm_head.weight"), null, C, c.vocab());
    }

    public static double[][] rmsNorm(double[][] x, double[] g, double eps) {
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double v : x[t]) ms += v * v;
            double r = 1 / Math.sqrt(ms / x[t].length + eps);
            out[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) out[t][i] = x[t][i] * r * g[i];
        }
        return out;
    }

    /** Qwen3's per-head RMSNorm over head_dim, in place. */
    public static void headRmsNorm(double[][] x, int heads, int hd, double[] g, double eps) {
        for (double[] row : x)
            for (int h = 0; h < heads; h++) {
                double ms = 0;
                for (int i = 0; i < hd; i++) ms += row[h * hd + i] * row[h * hd + i];
                double r = 1 / Math.sqrt(ms / hd + eps);
                for (int i = 0; i < hd; i++) row[h * hd + i] = row[h * hd + i] * r * g[i];
            }
    }

    /** Rotate-half RoPE in place: out = x·cos + rotate_half(x)·sin, rotate_half([x1, x2]) = [−x2, x1]. */
    public static void rope(double[][] x, int heads, int hd, int[] positions, double[] invFreq) {
        int half = hd / 2;
        for (int t = 0; t < x.length; t++)
            for (int h = 0; h < heads; h++) {
                int o = h * hd;
                for (int i = 0; i < half; i++) {
                    double ang = positions[t] * invFreq[i];
                    double cos = Math.cos(ang), sin = Math.sin(ang);
                    double x1 = x[t][o + i], x2 = x[t][o + half + i];
                    x[t][o + i] = x1 * cos - x2 * sin;
                    x[t][o + half + i] = x2 * cos + x1 * sin;
                }
            }
    }

    /** HF default inverse frequencies: 1 / theta^(2i/d). */
    public static double[] invFreq(int hd, double theta) {
        double[] f = new double[hd / 2];
        for (int i = 0; i < hd / 2; i++) f[i] = 1.0 / Math.pow(theta, (2.0 * i) / hd);
        return f;
    }

    /** The Linear named {@code name}, with its bias when the checkpoint has one. */
    public static double[][] proj(double[][] x, Map<String, double[]> w, String name, int in, int out) {
        return linear(x, w.get(name + ".weight"), w.get(name + ".bias"), in, out);
    }

    /** Linear: y = x·Wᵀ + b with W stored [out, in]. */
    public static double[][] linear(double[][] x, double[] wt, double[] b, int in, int out) {
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += x[t][i] * wt[o * in + i];
                y[t][o] = s;
            }
        return y;
    }

    /** Causal multi-head attention over one sequence; head h reads kv head h / (heads / kvHeads). */
    public static double[][] attention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int hd) {
        int n = q.length, group = heads / kvHeads;
        double[][] y = new double[n][heads * hd];
        double scale = 1 / Math.sqrt(hd);
        for (int h = 0; h < heads; h++) {
            int kh = h / group;
            for (int i = 0; i < n; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double d = 0;
                    for (int e = 0; e < hd; e++) d += q[i][h * hd + e] * k[j][kh * hd + e];
                    s[j] = d * scale;
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j <= i; j++) z += (s[j] = Math.exp(s[j] - max));
                for (int j = 0; j <= i; j++)
                    for (int e = 0; e < hd; e++) y[i][h * hd + e] += s[j] / z * v[j][kh * hd + e];
            }
        }
        return y;
    }

    public static void add(double[][] x, double[][] y) {
        for (int t = 0; t < x.length; t++) for (int i = 0; i < x[t].length; i++) x[t][i] += y[t][i];
    }
}
