# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# What instruction set a binary's code needs, read from its disassembly (objdump, binutils;
# sourced). The baseline is x86-64 as the psABI defines it (SSE2, no later extension); the
# checks name instructions of later extensions: any VEX/EVEX-encoded instruction (AVX, AVX2,
# FMA, AVX-512: mnemonics starting with v, registers ymm, zmm and k0-k7) and a list of
# SSE3, SSSE3, SSE4.1/4.2 (with pmovsx/pmovzx), AVX-512 mask (k...), POPCNT, LZCNT, BMI1/2, MOVBE, ADX, AES, CLMUL and CX16 ones.
# Not tzcnt: GCC's generic tuning emits `rep bsf` for a count of trailing zeros of a non-zero
# value, which objdump shows as tzcnt and a CPU without BMI1 runs as bsf, with the same result.
# Multi-versioned functions (GCC target_clones: NAME.arch_x86_64_v4 and similar) are allowed
# their extensions: the loader runs them only on a CPU that has them.

# isa_scan BINARY: prints "FUNCTION<TAB>INSTRUCTION" for every instruction beyond the baseline,
# and "clone<TAB>FUNCTION" for every multi-versioned clone (whose code is not checked).
isa_scan() {
  objdump -d --no-show-raw-insn "$1" | awk '
    BEGIN {
      n = split("addsubpd addsubps haddpd haddps hsubpd hsubps lddqu movddup movshdup " \
                "movsldup fisttp monitor mwait pabsb pabsw pabsd palignr phaddw phaddd " \
                "phaddsw phsubw phsubd phsubsw pmaddubsw pmulhrsw pshufb psignb psignw " \
                "psignd blendpd blendps blendvpd blendvps dppd dpps extractps insertps " \
                "movntdqa mpsadbw packusdw pblendvb pblendw pcmpeqq pextrb pextrd pextrq " \
                "phminposuw pinsrb pinsrd pinsrq pmaxsb pmaxsd pmaxud pmaxuw pminsb pminsd " \
                "pminud pminuw pmuldq pmulld ptest roundpd roundps roundsd roundss " \
                "pcmpestri pcmpestrm pcmpistri pcmpistrm pcmpgtq crc32 popcnt lzcnt " \
                "andn bextr blsi blsmsk blsr bzhi mulx pdep pext rorx sarx shlx shrx movbe " \
                "adcx adox aesenc aesenclast aesdec aesdeclast aesimc aeskeygenassist " \
                "pclmulqdq cmpxchg16b", names, " ")
      for (i = 1; i <= n; i++) beyond[names[i]] = 1
      prefix["lock"] = prefix["rep"] = prefix["repz"] = prefix["repnz"] = prefix["repe"] = 1
      prefix["repne"] = prefix["notrack"] = prefix["bnd"] = prefix["data16"] = 1
      prefix["addr32"] = prefix["cs"] = prefix["ds"] = prefix["es"] = prefix["fs"] = 1
      prefix["gs"] = prefix["ss"] = 1
    }
    /^[0-9a-f]+ <.*>:$/ {
      fn = substr($2, 2, length($2) - 3)
      clone = fn ~ /\.(arch_|avx|sse|fma|bmi|popcnt)/
      if (clone) print "clone\t" fn
      next
    }
    clone || !/^ +[0-9a-f]+:\t/ { next }
    {
      split($0, part, "\t")
      m = split(part[2], word, " ")
      i = 1
      while (i < m && (word[i] in prefix || word[i] ~ /^rex/)) i++
      op = word[i]
      base = op
      sub(/[bwlq]$/, "", base)  # AT&T size suffixes: popcntq, crc32b, movbel
      if ((op ~ /^v/ && op !~ /^ver[rw]$/) || op ~ /^pmov[sz]x/ || op in beyond ||
          base in beyond || op ~ /^k(mov|and|or|xor|not|shift|test|add|unpck)/ ||
          (part[2] " ") ~ /%([yz]mm[0-9]|k[0-7][^0-9])/)
        print fn "\t" part[2]
    }'
}
