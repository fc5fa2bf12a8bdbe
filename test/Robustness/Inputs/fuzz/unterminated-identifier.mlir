// RUN: attn-opt %3 --pass-pi

peli