/* A program that binds a TCP port without libc's dynamic bind (built
 * static): the preload shim cannot reach it. It must fail loudly when the
 * port is held by drover. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int port = atoi(getenv("PORT") ? getenv("PORT") : "3000");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("static_bind: bind");
        return 1;
    }
    listen(s, 16);
    printf("static_bind listening on %d\n", port);
    fflush(stdout);
    for (;;)
        pause();
}
