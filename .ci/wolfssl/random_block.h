/* wolfSSL's random source in ringway's fast build (.ci/build-wolfssl):
 * CUSTOM_RAND_GENERATE_BLOCK names this function, and the build script forces
 * this header into wolfSSL's sources and random_block.c into libwolfssl.a. */
#ifndef RINGWAY_WOLFSSL_RANDOM_BLOCK_H
#define RINGWAY_WOLFSSL_RANDOM_BLOCK_H

/* The header is forced into wolfSSL's assembly sources too. */
#ifndef __ASSEMBLER__
#ifdef __cplusplus
extern "C" {
#endif

/* Fills output with size bytes from getrandom(2); 0 on success. */
int ringway_random_block(unsigned char* output, unsigned int size);

#ifdef __cplusplus
}
#endif
#endif

#endif
