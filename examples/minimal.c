/* SPDX-License-Identifier: Apache-2.0 */
/* The smallest useful ccr program: checkpoint a running container.
 *
 *   cc minimal.c $(pkg-config --cflags --libs ccr) -o minimal
 *   ./minimal ID PID BUNDLE IMAGES_DIR
 *   ./minimal --version
 */
#include <stdio.h>
#include <string.h>

#include <ccr/ccr.h>

static int fail(ccr_error *err)
{
	fprintf(stderr, "checkpoint failed: %s\n", ccr_error_message(err));
	if (ccr_error_log_excerpt(err))
		fprintf(stderr, "%s\n", ccr_error_log_excerpt(err));
	ccr_error_free(err);
	return 1;
}

int main(int argc, char **argv)
{
	ccr_container *container = NULL;
	ccr_options *options = NULL;
	ccr_error *err = NULL;
	int pid = 0;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		if (ccr_version() != CCR_VERSION_NUMBER) {
			fprintf(stderr, "libccr %s does not match the header %s\n", ccr_version_string(),
				CCR_VERSION_STRING);
			return 1;
		}
		printf("libccr %s\n", ccr_version_string());
		return 0;
	}
	if (argc != 5 || sscanf(argv[2], "%d", &pid) != 1) {
		fprintf(stderr, "usage: %s ID PID BUNDLE IMAGES_DIR\n", argv[0]);
		return 2;
	}
	if ((err = ccr_container_new(&container, argv[1])) || (err = ccr_container_set_pid(container, pid)) ||
	    (err = ccr_container_set_bundle(container, argv[3])) || (err = ccr_options_new(&options)) ||
	    (err = ccr_options_set_images_dir(options, argv[4])) || (err = ccr_checkpoint(NULL, container, options))) {
		ccr_options_free(options);
		ccr_container_free(container);
		return fail(err);
	}
	printf("checkpointed %s into %s\n", argv[1], argv[4]);
	ccr_options_free(options);
	ccr_container_free(container);
	return 0;
}
